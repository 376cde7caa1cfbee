// S3 multipart writer: the caller's thread fills one part buffer while up to
// `concurrency` earlier parts upload on worker threads. write() blocks while that many
// are in flight, which bounds memory. The upload is initiated only once a second part
// is needed, so small objects cost a single PUT.
#include "storage/s3/s3_multipart.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/s3/s3_xml.h"
#include "util/error.h"
#include "util/log.h"
#include "util/signals.h"
#include "util/format.h"

namespace bb::s3 {
namespace {

std::string mib(std::uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

class MultipartWriter final : public ObjectWriter {
 public:
  MultipartWriter(std::shared_ptr<Client> client, std::string key, std::uint64_t part_size,
                  int concurrency, int max_parts)
      : client_(std::move(client)),
        key_(std::move(key)),
        part_size_(std::max(part_size, kMinPartSize)),
        concurrency_(std::max(concurrency, 1)),
        max_parts_(std::max(max_parts, 1)) {}

  ~MultipartWriter() override {
    if (state_ == State::kOpen) {
      log::debug("S3: writer for " + quote_name(key_) + " destroyed without commit; aborting");
      abort();
    }
    stop_workers();
  }

  void write(const char* data, std::size_t size) override {
    ensure_open();
    try {
      while (size > 0) {
        if (buffer_.size() == part_size_) submit_full_part();  // more data follows it
        if (buffer_.capacity() < part_size_) buffer_.reserve(part_size_);
        std::size_t take = std::min<std::size_t>(size, part_size_ - buffer_.size());
        buffer_.append(data, take);
        data += take;
        size -= take;
        written_ += take;
      }
    } catch (...) {
      abort();
      throw;
    }
  }

  void commit() override {
    ensure_open();
    try {
      if (upload_id_.empty()) {
        Call call{.method = "PUT", .key = key_, .body = buffer_,
                  .content_type = "application/octet-stream", .action = "PUT"};
        client_->send(call);
      } else {
        enqueue(std::move(buffer_));
        wait_all_uploaded();
        complete();
      }
      state_ = State::kCommitted;
      stop_workers();
      release_memory();
    } catch (...) {
      abort();
      throw;
    }
  }

  void abort() noexcept override {
    if (state_ != State::kOpen) return;
    state_ = State::kAborted;
    abort_flag_ = true;
    stop_workers();
    release_memory();
    if (upload_id_.empty()) return;
    try {
      Call call{.method = "DELETE", .key = key_, .query = {{"uploadId", upload_id_}},
                .action = "AbortMultipartUpload", .accepted_statuses = {404}, .cleanup = true};
      client_->send(call);
      log::debug("S3: aborted multipart upload of " + quote_name(key_));
    } catch (const std::exception& e) {
      log::warn(std::string(e.what()) + " — the unfinished upload of " + quote_name(key_) + " (id " +
                upload_id_ +
                ") keeps its parts stored until aborted; remove it with `aws s3api "
                "abort-multipart-upload`");
    }
  }

  std::uint64_t bytes_written() const override { return written_; }

 private:
  enum class State { kOpen, kCommitted, kAborted };
  struct Part {
    int number = 0;
    std::string data;
  };

  void ensure_open() {
    if (state_ == State::kCommitted)
      throw StorageError("S3: writer for " + quote_name(key_) + " used after commit (internal error)");
    if (state_ == State::kAborted)
      throw StorageError("S3: upload of " + quote_name(key_) + " was aborted; start a new one");
  }

  // Hands the full buffer to the workers as a part that is not the last.
  void submit_full_part() {
    throw_if_cancelled();
    if (next_part_ >= max_parts_)
      throw StorageError("S3: object " + quote_name(key_) + " needs more than " +
                         std::to_string(max_parts_) + " parts of " + mib(part_size_) + " (" +
                         mib(written_) + " so far), the most S3 allows — raise storage.part_size");
    if (upload_id_.empty()) initiate();
    if (next_part_ == max_parts_ * 9 / 10 && max_parts_ >= 10)
      log::warn("S3: upload of " + quote_name(key_) + " reached part " + std::to_string(next_part_) +
                " of at most " + std::to_string(max_parts_) + " — raise storage.part_size");
    enqueue(std::move(buffer_));
    buffer_ = std::string();
  }

  void initiate() {
    Call call{.method = "POST", .key = key_, .query = {{"uploads", ""}},
              .content_type = "application/octet-stream", .action = "CreateMultipartUpload"};
    http::Response response = client_->send(call);
    upload_id_ = parse_initiate_upload(response.body);
    log::debug("S3: multipart upload of " + quote_name(key_) + " started, parts of " + mib(part_size_));
    for (int i = 0; i < concurrency_; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  // Queues a part, blocking while `concurrency` parts are already in flight.
  void enqueue(std::string data) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return in_flight_ < concurrency_ || failure_; });
    if (failure_) std::rethrow_exception(failure_);
    queue_.push_back(Part{next_part_++, std::move(data)});
    ++in_flight_;
    changed_.notify_all();
  }

  void wait_all_uploaded() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return in_flight_ == 0 || failure_; });
    if (failure_) std::rethrow_exception(failure_);
  }

  void worker_loop() {
    for (;;) {
      Part part;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        part = std::move(queue_.front());
        queue_.pop_front();
      }
      std::string etag;
      std::exception_ptr error;
      try {
        etag = upload_part(part);
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (error) {
        if (!failure_) failure_ = error;
      } else {
        parts_.push_back(CompletedPart{part.number, std::move(etag)});
      }
      --in_flight_;
      changed_.notify_all();
    }
  }

  std::string upload_part(const Part& part) {
    Call call{.method = "PUT", .key = key_,
              .query = {{"partNumber", std::to_string(part.number)}, {"uploadId", upload_id_}},
              .body = part.data, .content_type = "application/octet-stream",
              .action = "UploadPart " + std::to_string(part.number),
              .abort_flag = &abort_flag_};
    http::Response response = client_->send(call);
    auto etag = response.header("etag");
    if (!etag || etag->empty())
      throw StorageError("S3: UploadPart " + std::to_string(part.number) + " of \"" + key_ +
                         "\" answered without an ETag — the endpoint is not S3-compatible enough");
    log::debug("S3: uploaded part " + std::to_string(part.number) + " of " + quote_name(key_) + " (" +
               std::to_string(part.data.size()) + " bytes)");
    return *etag;
  }

  void complete() {
    std::vector<CompletedPart> parts;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      parts = parts_;
    }
    std::sort(parts.begin(), parts.end(),
              [](const auto& a, const auto& b) { return a.part_number < b.part_number; });
    std::string body = complete_upload_xml(parts);
    Call call{.method = "POST", .key = key_, .query = {{"uploadId", upload_id_}}, .body = body,
              .content_type = "application/xml", .action = "CompleteMultipartUpload"};
    // S3 may answer 200 and still report an error in the body; that is worth a retry.
    for (int attempt = 1;; ++attempt) {
      http::Response response = client_->send(call);
      auto info = parse_error(response.body);
      if (!info) break;
      std::exception_ptr failure;
      try {
        throw_error(client_->context(call.action, key_), 500, info);
      } catch (const StorageError&) {
        failure = std::current_exception();
      }
      client_->before_retry(attempt, "CompleteMultipartUpload " + quote_name(key_),
                            "error in answer: " + info->code, failure, false);
    }
    log::debug("S3: completed " + quote_name(key_) + " from " + std::to_string(parts.size()) + " parts");
  }

  void stop_workers() noexcept {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      queue_.clear();
      changed_.notify_all();
    }
    for (auto& t : workers_)
      if (t.joinable()) t.join();
    workers_.clear();
  }

  void release_memory() noexcept {
    buffer_ = std::string();
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.clear();
  }

  std::shared_ptr<Client> client_;
  const std::string key_;
  const std::uint64_t part_size_;
  const int concurrency_;
  const int max_parts_;

  // Caller's side.
  State state_ = State::kOpen;
  std::string buffer_;
  std::uint64_t written_ = 0;
  std::string upload_id_;
  int next_part_ = 1;

  // Shared with the workers (under mutex_).
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Part> queue_;
  int in_flight_ = 0;  // queued or uploading
  std::vector<CompletedPart> parts_;
  std::exception_ptr failure_;
  bool stopping_ = false;
  std::atomic<bool> abort_flag_{false};
  std::vector<std::thread> workers_;
};

}  // namespace

std::unique_ptr<ObjectWriter> make_multipart_writer(std::shared_ptr<Client> client,
                                                    std::string full_key,
                                                    std::uint64_t part_size_bytes,
                                                    int concurrency, int max_parts) {
  return std::make_unique<MultipartWriter>(std::move(client), std::move(full_key),
                                           part_size_bytes, concurrency, max_parts);
}

}  // namespace bb::s3
