// Storage factory: the configured driver.
#include "storage/storage.h"

#include "config/config.h"
#include "storage/local.h"
#include "storage/s3/s3_storage.h"
#include "util/rate_limit.h"

#include <algorithm>

namespace bb {

namespace {

// Writes through a shared limiter: bytes enter the driver (and so its parts in flight) no
// faster than the cap.
class LimitedWriter : public ObjectWriter {
 public:
  LimitedWriter(std::unique_ptr<ObjectWriter> inner, RateLimiter& limiter)
      : inner_(std::move(inner)), limiter_(limiter) {}
  void write(const char* data, std::size_t size) override {
    constexpr std::size_t kSlice = 64 * 1024;  // a smooth rate, not one large chunk per wait
    for (std::size_t done = 0; done < size;) {
      std::size_t n = std::min(kSlice, size - done);
      limiter_.acquire(n);
      inner_->write(data + done, n);
      done += n;
    }
  }
  void commit() override { inner_->commit(); }
  void abort() noexcept override { inner_->abort(); }
  std::uint64_t bytes_written() const override { return inner_->bytes_written(); }

 private:
  std::unique_ptr<ObjectWriter> inner_;
  RateLimiter& limiter_;
};

// A driver with [storage] max_upload_rate / max_download_rate: one limiter per direction
// for every transfer of the store (all parts, all parallel backups of a run).
class RateLimitedStorage : public Storage {
 public:
  RateLimitedStorage(std::unique_ptr<Storage> inner, std::uint64_t up, std::uint64_t down)
      : inner_(std::move(inner)) {
    if (up) up_.emplace(up);
    if (down) down_.emplace(down);
  }
  std::string describe() const override { return inner_->describe(); }
  std::unique_ptr<ObjectWriter> open_writer(const std::string& key, std::uint64_t size_hint) override {
    auto writer = inner_->open_writer(key, size_hint);
    if (!up_) return writer;
    return std::make_unique<LimitedWriter>(std::move(writer), *up_);
  }
  void put(const std::string& key, std::string_view data) override {
    if (up_) up_->acquire(data.size());
    inner_->put(key, data);
  }
  std::string get(const std::string& key) override {
    std::string out = inner_->get(key);
    if (down_) down_->acquire(out.size());
    return out;
  }
  void get_stream(const std::string& key, const ByteSink& sink) override {
    if (!down_) return inner_->get_stream(key, sink);
    inner_->get_stream(key, [&](const char* data, std::size_t size) {
      down_->acquire(size);  // a slow reader slows the sender (TCP flow control)
      sink(data, size);
    });
  }
  std::optional<ObjectInfo> head(const std::string& key) override { return inner_->head(key); }
  std::vector<ObjectInfo> list(const std::string& prefix) override { return inner_->list(prefix); }
  void remove(const std::vector<std::string>& keys) override { inner_->remove(keys); }
  std::vector<PendingUpload> list_uploads(const std::string& prefix) override { return inner_->list_uploads(prefix); }
  void abort_upload(const PendingUpload& upload) override { inner_->abort_upload(upload); }
  std::uint64_t max_upload_rate() const override { return up_ ? up_->rate() : 0; }
  std::uint64_t max_download_rate() const override { return down_ ? down_->rate() : 0; }

 private:
  std::unique_ptr<Storage> inner_;
  std::optional<RateLimiter> up_, down_;
};

}  // namespace

std::unique_ptr<Storage> make_storage(const StorageConfig& cfg) {
  std::unique_ptr<Storage> driver =
      cfg.type == StorageType::kS3 ? make_s3_storage(cfg) : make_local_storage(cfg.path, cfg.prefix);
  if (!cfg.max_upload_rate && !cfg.max_download_rate) return driver;
  return std::make_unique<RateLimitedStorage>(std::move(driver), cfg.max_upload_rate, cfg.max_download_rate);
}

}  // namespace bb
