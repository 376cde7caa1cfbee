// S3 client: signing, retries with backoff and jitter, and error mapping for every
// S3 call the driver makes.
#include "storage/s3/s3_client.h"

#include <algorithm>
#include <random>
#include <thread>

#include "stream/sha256.h"
#include "util/error.h"
#include "util/log.h"
#include "util/signals.h"
#include "util/format.h"

namespace bb::s3 {
namespace {

constexpr auto kBaseDelay = std::chrono::milliseconds(250);
constexpr auto kMaxDelay = std::chrono::milliseconds(20'000);
constexpr int kCleanupRetries = 2;

std::chrono::milliseconds backoff_delay(int attempt) {
  thread_local std::mt19937 rng{std::random_device{}()};
  auto ceiling = kBaseDelay * (1LL << std::min(attempt - 1, 16));
  ceiling = std::min<std::chrono::milliseconds>(ceiling, kMaxDelay);
  // "Equal jitter": half fixed, half random, so retries of many writers spread out.
  std::uniform_int_distribution<long long> jitter(0, ceiling.count() / 2);
  return std::chrono::milliseconds(ceiling.count() / 2 + jitter(rng));
}

bool accepted(const Call& call, long status) {
  return std::find(call.accepted_statuses.begin(), call.accepted_statuses.end(), status) !=
         call.accepted_statuses.end();
}

}  // namespace

Client::Client(const StorageConfig& config) : config_(config) {
  endpoint_ = parse_endpoint(config.endpoint);
  if (config.bucket.empty())
    throw ConfigError("storage.bucket is empty — name the S3 bucket backups go to");
  if (config.access_key_id.empty())
    throw ConfigError(
        "storage.access_key_id is empty — set it in the config or AWS_ACCESS_KEY_ID");
  if (config.secret_access_key.empty())
    throw ConfigError(
        "storage.secret_access_key is empty — set it, secret_access_key_file, or "
        "AWS_SECRET_ACCESS_KEY");
  if (!config.prefix.empty() && config.prefix.back() != '/')
    throw ConfigError("storage.prefix " + quote_name(config.prefix) + " must end with \"/\"");
  if (config.region.empty()) throw ConfigError("storage.region is empty — e.g. \"us-east-1\"");
  log::register_secret(config.secret_access_key.value);
  path_style_ = use_path_style(config.path_style, endpoint_, config.bucket);
  sigv4_.provider = "aws:amz:" + config.region + ":s3";
  sigv4_.access_key_id = config.access_key_id.value;
  sigv4_.secret_access_key = config.secret_access_key.value;
}

std::string Client::describe() const {
  return "s3://" + config_.bucket + "/" + config_.prefix + " at " + config_.endpoint;
}

RequestContext Client::context(const std::string& action, const std::string& key) const {
  return RequestContext{action, config_.bucket, key, config_.endpoint};
}

std::unique_ptr<http::Client> Client::acquire() {
  {
    std::lock_guard<std::mutex> lock(pool_mutex_);
    if (!pool_.empty()) {
      auto client = std::move(pool_.back());
      pool_.pop_back();
      return client;
    }
  }
  return std::make_unique<http::Client>();
}

void Client::release(std::unique_ptr<http::Client> client) {
  std::lock_guard<std::mutex> lock(pool_mutex_);
  pool_.push_back(std::move(client));
}

http::Response Client::send_once(const Call& call, const http::Request& req_extra) {
  http::Request req = req_extra;
  req.method = call.method;
  req.url = build_url(endpoint_, config_.bucket, path_style_, call.key, call.query);
  req.headers = call.headers;
  req.headers.emplace_back("x-amz-content-sha256", call.body.empty() ? std::string(kEmptySha256)
                                                                     : bb::sha256_hex(call.body));
  if (!call.content_type.empty()) req.headers.emplace_back("Content-Type", call.content_type);
  req.body = call.body;
  req.sigv4 = sigv4_;
  req.timeout = config_.timeout;
  const std::atomic<bool>* abort_flag = call.abort_flag;
  if (!call.cleanup || abort_flag)
    req.should_cancel = [cleanup = call.cleanup, abort_flag] {
      return (!cleanup && cancel_requested()) || (abort_flag && abort_flag->load());
    };

  auto client = acquire();
  try {
    http::Response response = client->perform(req);
    release(std::move(client));
    return response;
  } catch (...) {
    release(std::move(client));
    throw;
  }
}

void Client::before_retry(int attempt, const std::string& what, const std::string& reason,
                          const std::exception_ptr& failure, bool cleanup) {
  int limit = cleanup ? std::min(config_.max_retries, kCleanupRetries) : config_.max_retries;
  if (attempt > limit) std::rethrow_exception(failure);
  if (!cleanup) throw_if_cancelled();
  auto delay = backoff_delay(attempt);
  log::warn("S3: " + what + " failed (" + reason + "); retry " + std::to_string(attempt) + "/" +
            std::to_string(limit) + " in " + std::to_string(delay.count()) + " ms");
  // Sleep in short steps so a stop request is noticed quickly.
  auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (!cleanup) throw_if_cancelled();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
  }
}

http::Response Client::send(const Call& call) {
  const std::string what = call.action + (call.key.empty() ? "" : " " + quote_name(call.key));
  for (int attempt = 1;; ++attempt) {
    if (!call.cleanup) throw_if_cancelled();
    if (call.abort_flag && call.abort_flag->load()) throw CancelledError();
    std::exception_ptr failure;
    std::string reason;
    try {
      http::Response response = send_once(call, http::Request{});
      if (response.ok() || accepted(call, response.status)) return response;
      auto info = parse_error(response.body);
      try {
        throw_error(context(call.action, call.key), response.status, info);
      } catch (const StorageError& e) {
        if (!e.transient()) throw;
        failure = std::current_exception();
        reason = "HTTP " + std::to_string(response.status) +
                 (info && !info->code.empty() ? " " + info->code : "");
      }
    } catch (const http::TransportError& e) {
      failure = std::make_exception_ptr(StorageError(
          "S3: " + what + " in bucket " + quote_name(config_.bucket) + " at " + config_.endpoint +
              " failed: " + e.what() + " — check storage.endpoint and the network",
          true));
      reason = e.what();
    }
    before_retry(attempt, what, reason, failure, call.cleanup);
  }
}

}  // namespace bb::s3
