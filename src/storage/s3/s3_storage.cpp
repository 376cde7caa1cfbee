// S3 storage driver: maps each Storage call to S3 API calls (PutObject, GetObject with
// resumable ranges, HeadObject, ListObjectsV2, DeleteObjects, ListMultipartUploads,
// AbortMultipartUpload) and hands streaming writes to the multipart writer.
#include "storage/s3/s3_storage.h"

#include <atomic>
#include <algorithm>
#include <cstdlib>

#include "storage/s3/s3_client.h"
#include "storage/s3/s3_multipart.h"
#include "storage/s3/s3_request.h"
#include "storage/s3/s3_xml.h"
#include "util/error.h"
#include "util/log.h"
#include "util/signals.h"
#include "util/format.h"

namespace bb {
namespace {

constexpr std::size_t kDeleteBatch = 1000;

std::optional<std::uint64_t> parse_u64(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  unsigned long long n = std::strtoull(text.c_str(), &end, 10);
  if (*end != '\0') return std::nullopt;
  return n;
}

class S3Storage final : public Storage {
 public:
  explicit S3Storage(const StorageConfig& config)
      : client_(std::make_shared<s3::Client>(config)) {
    if (config.upload_concurrency < 1)
      throw ConfigError("storage.upload_concurrency must be at least 1");
    if (config.part_size_bytes < s3::kMinPartSize || config.part_size_bytes > s3::kMaxPartSize)
      throw ConfigError("storage.part_size must be between 5MiB and 5GiB (S3's part limits)");
  }

  std::string describe() const override { return client_->describe(); }

  std::unique_ptr<ObjectWriter> open_writer(const std::string& key,
                                            std::uint64_t size_hint) override {
    const auto& cfg = client_->config();
    std::uint64_t part_size = s3::choose_part_size(cfg.part_size_bytes, size_hint);
    if (part_size != cfg.part_size_bytes)
      log::info("S3: using parts of " + std::to_string(part_size >> 20) + " MiB for \"" + key +
                "\" (expected size " + std::to_string(size_hint >> 20) +
                " MiB would need too many parts of storage.part_size)");
    return s3::make_multipart_writer(client_, full_key(key), part_size, cfg.upload_concurrency);
  }

  void put(const std::string& key, std::string_view data) override {
    s3::Call call{.method = "PUT", .key = full_key(key), .body = data,
                  .content_type = "application/octet-stream", .action = "PUT"};
    client_->send(call);
  }

  std::string get(const std::string& key) override {
    std::string out;
    get_stream(key, [&](const char* data, std::size_t size) { out.append(data, size); });
    return out;
  }

  void get_stream(const std::string& key, const ByteSink& sink) override {
    const std::string full = full_key(key);
    const std::string what = "GET " + quote_name(full);
    std::uint64_t delivered = 0;
    std::optional<std::uint64_t> total;
    std::string etag;
    for (int attempt = 1;; ++attempt) {
      throw_if_cancelled();
      s3::Call call{.method = "GET", .key = full, .action = "GET"};
      if (delivered > 0) {
        call.headers.emplace_back("Range", "bytes=" + std::to_string(delivered) + "-");
        if (!etag.empty()) call.headers.emplace_back("If-Match", etag);
      }
      std::uint64_t skip = 0;  // bytes to drop when a server ignores Range
      const std::uint64_t before = delivered;
      http::Request extra;
      extra.body_sink = [&](const char* data, std::size_t size) {
        if (skip > 0) {
          std::size_t drop = static_cast<std::size_t>(std::min<std::uint64_t>(skip, size));
          data += drop;
          size -= drop;
          skip -= drop;
          if (size == 0) return;
        }
        sink(data, size);
        delivered += size;
      };
      extra.on_body_start = [&](long status, const http::Headers& headers) {
        auto header = [&](const char* name) -> std::string {
          for (const auto& [k, v] : headers)
            if (k == name) return v;
          return "";
        };
        if (status == 200) {
          skip = delivered;
          if (etag.empty()) etag = header("etag");
          if (!total) total = parse_u64(header("content-length"));
        } else if (status == 206) {
          // "bytes START-END/TOTAL"
          std::string range = header("content-range");
          auto dash = range.find('-');
          auto slash = range.find('/');
          auto start = range.rfind("bytes ", 0) == 0 && dash != std::string::npos
                           ? parse_u64(range.substr(6, dash - 6))
                           : std::nullopt;
          if (!start || *start != delivered)
            throw StorageError("S3: " + what + " resumed at the wrong offset (Content-Range \"" +
                               range + "\", expected byte " + std::to_string(delivered) + ")");
          if (!total && slash != std::string::npos) total = parse_u64(range.substr(slash + 1));
        }
      };

      std::exception_ptr failure;
      std::string reason;
      try {
        http::Response response = client_->send_once(call, extra);
        if (response.ok()) {
          if (!total || delivered == *total) return;
          failure = std::make_exception_ptr(StorageError(
              "S3: " + what + " ended after " + std::to_string(delivered) + " of " +
                  std::to_string(*total) + " bytes",
              true));
          reason = "truncated body";
        } else if (response.status == 416 && total && delivered == *total) {
          return;  // everything had arrived before the failure
        } else if (response.status == 412 && delivered > 0) {
          throw StorageError("S3: object " + quote_name(full) + " changed while it was being read at " +
                             client_->config().endpoint + " — run the command again");
        } else {
          auto info = s3::parse_error(response.body);
          try {
            s3::throw_error(client_->context("GET", full), response.status, info);
          } catch (const StorageError& e) {
            if (!e.transient()) throw;
            failure = std::current_exception();
            reason = "HTTP " + std::to_string(response.status);
          }
        }
      } catch (const http::TransportError& e) {
        failure = std::make_exception_ptr(StorageError(
            "S3: " + what + " in bucket " + quote_name(client_->config().bucket) + " at " +
                client_->config().endpoint + " failed: " + e.what() +
                " — check storage.endpoint and the network",
            true));
        reason = e.what();
      }
      if (delivered > before) attempt = 1;  // progress was made: a fresh retry budget
      client_->before_retry(attempt, what + " from byte " + std::to_string(delivered), reason,
                            failure, false);
    }
  }

  std::optional<ObjectInfo> head(const std::string& key) override {
    s3::Call call{.method = "HEAD", .key = full_key(key), .action = "HEAD",
                  .accepted_statuses = {404}};
    http::Response response = client_->send(call);
    if (response.status == 404) return std::nullopt;
    ObjectInfo info;
    info.key = key;
    info.size = parse_u64(response.header("content-length").value_or("")).value_or(0);
    if (auto modified = response.header("last-modified"))
      info.last_modified = s3::parse_http_date(*modified).value_or(info.last_modified);
    return info;
  }

  std::vector<ObjectInfo> list(const std::string& prefix) override {
    std::vector<ObjectInfo> out;
    std::string token;
    do {
      throw_if_cancelled();
      s3::Call call{.method = "GET", .query = {{"list-type", "2"}, {"prefix", full_key(prefix)}},
                    .action = "list"};
      if (!token.empty()) call.query.emplace_back("continuation-token", token);
      http::Response response = client_->send(call);
      s3::ListPage page = s3::parse_list_objects(response.body);
      for (auto& object : page.objects) {
        if (!strip_prefix(object.key)) continue;
        out.push_back(std::move(object));
      }
      token = page.truncated ? page.next_continuation_token : "";
    } while (!token.empty());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    return out;
  }

  // One object, one DELETE (absent objects are fine).
  void delete_one(const std::string& full) {
    s3::Call call{.method = "DELETE", .key = full, .action = "DeleteObject", .accepted_statuses = {404}};
    client_->send(call);
  }

  void remove(const std::vector<std::string>& keys) override {
    if (keys.size() == 1 || !batch_delete_) {
      for (const auto& k : keys) {
        throw_if_cancelled();
        delete_one(full_key(k));
      }
      return;
    }
    for (std::size_t start = 0; start < keys.size(); start += kDeleteBatch) {
      throw_if_cancelled();
      std::size_t end = std::min(keys.size(), start + kDeleteBatch);
      std::vector<std::string> batch;
      for (std::size_t i = start; i < end; ++i) batch.push_back(full_key(keys[i]));
      std::string body = s3::delete_objects_xml(batch);
      s3::Call call{.method = "POST", .query = {{"delete", ""}},
                    .headers = {{"Content-MD5", s3::md5_base64(body)}}, .body = body,
                    .content_type = "application/xml", .action = "DeleteObjects"};
      http::Response response;
      try {
        response = client_->send(call);
      } catch (const StorageError& e) {
        // A provider without batch delete (501 NotImplemented): delete one by one from now on.
        if (e.http_status() != 501 && e.http_status() != 405) throw;
        log::warn(std::string("S3: this provider does not support batch delete (DeleteObjects); deleting "
                              "objects one by one: ") + e.what());
        batch_delete_ = false;
        for (const auto& k : batch) delete_one(k);
        continue;
      }
      std::vector<s3::DeleteFailure> failures;
      for (auto& f : s3::parse_delete_result(response.body))
        if (f.code != "NoSuchKey") failures.push_back(std::move(f));
      if (!failures.empty()) {
        std::string list;
        for (std::size_t i = 0; i < failures.size() && i < 3; ++i)
          list += (i ? ", \"" : "\"") + failures[i].key + "\" (" + failures[i].code +
                  (failures[i].message.empty() ? "" : ": " + failures[i].message) + ")";
        if (failures.size() > 3) list += " and " + std::to_string(failures.size() - 3) + " more";
        throw StorageError("S3: could not delete " + std::to_string(failures.size()) + " of " +
                           std::to_string(batch.size()) + " objects in bucket \"" +
                           client_->config().bucket + "\" at " + client_->config().endpoint +
                           ": " + list +
                           (failures[0].code == "AccessDenied"
                                ? " — check that storage.access_key_id may delete objects"
                                : ""));
      }
    }
  }

  std::vector<PendingUpload> list_uploads(const std::string& prefix) override {
    std::vector<PendingUpload> out;
    std::string key_marker, id_marker;
    for (;;) {
      throw_if_cancelled();
      s3::Call call{.method = "GET", .query = {{"uploads", ""}, {"prefix", full_key(prefix)}},
                    .action = "ListMultipartUploads"};
      if (!key_marker.empty()) call.query.emplace_back("key-marker", key_marker);
      if (!id_marker.empty()) call.query.emplace_back("upload-id-marker", id_marker);
      http::Response response = client_->send(call);
      s3::UploadsPage page = s3::parse_list_uploads(response.body);
      for (auto& upload : page.uploads) {
        if (!strip_prefix(upload.key)) continue;
        out.push_back(std::move(upload));
      }
      if (!page.truncated || page.next_key_marker.empty()) break;
      if (page.next_key_marker == key_marker && page.next_upload_id_marker == id_marker) break;
      key_marker = page.next_key_marker;
      id_marker = page.next_upload_id_marker;
    }
    return out;
  }

  void abort_upload(const PendingUpload& upload) override {
    s3::Call call{.method = "DELETE", .key = full_key(upload.key),
                  .query = {{"uploadId", upload.upload_id}}, .action = "AbortMultipartUpload",
                  .accepted_statuses = {404}};
    client_->send(call);
  }

 private:
  std::string full_key(const std::string& key) const { return client_->prefix() + key; }

  // Makes a listed full key relative; false when it lies outside the prefix.
  bool strip_prefix(std::string& key) const {
    const std::string& prefix = client_->prefix();
    if (key.compare(0, prefix.size(), prefix) != 0) return false;
    key.erase(0, prefix.size());
    return true;
  }

  std::shared_ptr<s3::Client> client_;
  std::atomic<bool> batch_delete_{true};  // false once the provider answered 501 to DeleteObjects
};

}  // namespace

std::unique_ptr<Storage> make_s3_storage(const StorageConfig& config) {
  return std::make_unique<S3Storage>(config);
}

}  // namespace bb
