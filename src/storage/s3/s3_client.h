// S3 client: one signed S3 call with retries. Adds the payload hash header, signs
// with SigV4 through the HTTP layer, retries transient failures with exponential
// backoff and jitter, and turns error answers into StorageError. Thread-safe: it keeps
// a pool of HTTP connections, one per concurrent caller.
#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "storage/s3/s3_error.h"
#include "storage/s3/s3_request.h"
#include "util/http.h"

namespace bb::s3 {

// One S3 call, before signing.
struct Call {
  std::string method = "GET";
  std::string key{};  // full key (with the configured prefix); "" for the bucket
  QueryParams query{};
  http::Headers headers{};     // extra headers (Range, Content-MD5, ...)
  std::string_view body{};     // request body (in memory)
  std::string content_type{};  // for requests with a body
  std::string action{};        // for messages: "PUT", "UploadPart 3", ...
  // Statuses besides 2xx handed back instead of thrown (e.g. 404 for HEAD).
  std::vector<long> accepted_statuses{};
  // Cleanup calls (aborts) still run after a stop was requested.
  bool cleanup = false;
  // When set and true, the transfer stops at once with CancelledError (writer abort).
  const std::atomic<bool>* abort_flag = nullptr;
};

// The S3 connection settings and the call executor shared by the driver and writers.
class Client {
 public:
  // Validates the settings (endpoint, bucket, credentials) and registers the secret
  // with the log masker. Throws ConfigError.
  explicit Client(const StorageConfig& config);

  // Performs a call with retries. Non-accepted error answers throw (NotFoundError /
  // StorageError); transport failures after the last retry throw StorageError.
  http::Response send(const Call& call);

  // Performs one attempt of a call; the caller handles the answer. req_extra lets the
  // caller stream the body (sink, on_body_start). Throws http::TransportError.
  http::Response send_once(const Call& call, const http::Request& req_extra);

  // After failed attempt number `attempt` (1-based): logs a warning and sleeps with
  // backoff, or throws `failure` when retries are used up. Throws CancelledError when a
  // stop was requested (unless cleanup).
  void before_retry(int attempt, const std::string& what, const std::string& reason,
                    const std::exception_ptr& failure, bool cleanup);

  // Context for error messages about a call.
  RequestContext context(const std::string& action, const std::string& key) const;

  // "s3://bucket/prefix at endpoint".
  std::string describe() const;
  const StorageConfig& config() const { return config_; }
  const std::string& prefix() const { return config_.prefix; }
  bool path_style() const { return path_style_; }

 private:
  std::unique_ptr<http::Client> acquire();
  void release(std::unique_ptr<http::Client> client);

  StorageConfig config_;
  Endpoint endpoint_;
  bool path_style_ = true;
  http::AwsSigV4 sigv4_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<http::Client>> pool_;
};

}  // namespace bb::s3
