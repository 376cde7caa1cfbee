// HTTP client: the one libcurl layer of BackupBuddy (S3 driver, Telegram Bot API).
// A Client owns one curl handle (and so its kept-alive connections); it is not
// thread-safe, so concurrent callers each use their own Client. Bodies may come from
// a string or a streaming read callback and go to a string or a streaming sink.
// Optional AWS Signature V4 signing is done by libcurl (CURLOPT_AWS_SIGV4); the
// credentials are passed as curl options, never in the URL, and never logged.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"

namespace bb::http {

// Header list in sending/receiving order; names as given (responses: lower-cased).
using Headers = std::vector<std::pair<std::string, std::string>>;

// Fills buf with up to size bytes of request body; returns the count (0 = end).
using BodyReader = std::function<std::size_t(char* buf, std::size_t size)>;
// Receives response body bytes in order (only for 2xx answers).
using BodySink = std::function<void(const char* data, std::size_t size)>;

// AWS Signature V4 credentials; libcurl computes the Authorization header.
struct AwsSigV4 {
  std::string provider;  // curl's "aws:amz:REGION:SERVICE", e.g. "aws:amz:ru-1:s3"
  std::string access_key_id;
  std::string secret_access_key;
};

// One HTTP request.
struct Request {
  std::string method = "GET";
  std::string url;  // secrets in it (a bot token) must be log::register_secret()ed: errors mask them
  Headers headers;
  // Request body from memory; ignored when body_reader is set.
  std::string_view body;
  // Streaming request body of body_size bytes (sent with Content-Length).
  BodyReader body_reader;
  std::uint64_t body_size = 0;
  // Streaming response body for 2xx answers; when unset, the body goes to Response::body.
  // Bodies of non-2xx answers always go to Response::body (capped at 1 MiB).
  BodySink body_sink;
  std::optional<AwsSigV4> sigv4;
  // Connect timeout, and the low-speed cut-off: the transfer fails when it moves less
  // than 1 byte/s for this long. Zero disables both.
  std::chrono::milliseconds timeout{60'000};
  // Overall time limit for the whole exchange (zero: none), e.g. for long polling.
  std::chrono::milliseconds total_timeout{0};
  // Called once with the status and headers just before the first body byte is
  // delivered (not called for bodyless answers), e.g. to check a Content-Range.
  // May throw to abort the transfer.
  std::function<void(long status, const Headers& headers)> on_body_start;
  // Polled during the transfer (several times a second); returning true aborts it
  // with CancelledError. Unset: never cancelled mid-transfer.
  std::function<bool()> should_cancel;
};

// One HTTP answer.
struct Response {
  long status = 0;
  Headers headers;  // names lower-cased, values trimmed
  std::string body;  // unless streamed into Request::body_sink
  std::uint64_t body_bytes_streamed = 0;  // bytes given to Request::body_sink
  // Value of the first header of that (case-insensitive) name, or nullopt.
  std::optional<std::string> header(std::string_view name) const;
  bool ok() const { return status >= 200 && status < 300; }
};

// The exchange failed below HTTP (DNS, connect, TLS, reset, timeout, stall).
// Such failures are usually worth retrying.
class TransportError : public Error {
 public:
  TransportError(const std::string& message, int curl_code)
      : Error(message), curl_code_(curl_code) {}
  // The libcurl CURLcode, for callers that tell kinds apart.
  int curl_code() const { return curl_code_; }

 private:
  int curl_code_;
};

// An HTTP client with one reusable connection cache. Move-only; not thread-safe.
class Client {
 public:
  // Creates the curl handle (libcurl is initialised once per process on first use).
  Client();
  ~Client();
  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Performs one exchange. Throws TransportError below HTTP, CancelledError when
  // should_cancel() said so mid-transfer, and rethrows whatever body_reader/body_sink threw.
  // Any HTTP status (including 4xx/5xx) is returned, not thrown.
  Response perform(const Request& request);

 private:
  void* handle_ = nullptr;  // CURL*
};

// Performs one exchange on a fresh Client (for one-off calls).
Response perform(const Request& request);

// One e-mail for an SMTP server (libcurl's SMTP): the message is sent as given
// (headers, blank line, body, CRLF line ends).
struct MailRequest {
  std::string url;  // smtp://host:port or smtps://host:port
  bool require_starttls = true;  // smtp:// only: refuse to send unless STARTTLS works
  std::string from;
  std::vector<std::string> to;
  std::string username;  // empty: no AUTH
  std::string password;  // passed as a curl option, never in the URL
  std::string message;
  std::chrono::milliseconds timeout{10'000};  // the whole exchange
  std::string ca_file;  // PEM file of the CA(s) to trust for the server's certificate; empty: the system's
};

// Sends one e-mail. Throws TransportError (the server's reply or the connection problem,
// secrets masked).
void send_mail(const MailRequest& request);

// Percent-encodes every byte outside the RFC 3986 unreserved set [A-Za-z0-9-._~],
// plus '/' when keep_slash (for URL paths).
std::string percent_encode(std::string_view text, bool keep_slash = false);

}  // namespace bb::http
