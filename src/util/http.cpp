// HTTP client on libcurl: one easy handle per Client, reset between requests so its
// connection cache is reused; callbacks bridge curl to string or streaming bodies.
#include "util/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <mutex>

#include "util/log.h"

namespace bb::http {
namespace {

constexpr std::size_t kErrorBodyCap = 1 << 20;

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw Error("HTTP: libcurl initialisation failed (curl_global_init)");
  });
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view text) {
  std::size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

// State shared with the curl callbacks during one perform().
struct Exchange {
  CURL* curl = nullptr;
  const Request* request = nullptr;
  Response* response = nullptr;
  std::size_t body_offset = 0;  // for in-memory request bodies
  std::exception_ptr error;     // thrown by a user callback; rethrown after perform
  bool cancelled = false;
  bool body_started = false;
};

extern "C" size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line (after 100 Continue or similar): start a fresh header list.
    ex->response->headers.clear();
    return size * count;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos)
    ex->response->headers.emplace_back(lower(trim(line.substr(0, colon))),
                                       trim(line.substr(colon + 1)));
  return size * count;
}

extern "C" size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(ex->curl, CURLINFO_RESPONSE_CODE, &status);
  bool success = status >= 200 && status < 300;
  if (!ex->body_started) {
    ex->body_started = true;
    if (ex->request->on_body_start) {
      try {
        ex->request->on_body_start(status, ex->response->headers);
      } catch (...) {
        ex->error = std::current_exception();
        return 0;
      }
    }
  }
  if (success && ex->request->body_sink) {
    try {
      ex->request->body_sink(data, n);
      ex->response->body_bytes_streamed += n;
    } catch (...) {
      ex->error = std::current_exception();
      return 0;  // makes curl abort with CURLE_WRITE_ERROR
    }
    return n;
  }
  std::string& body = ex->response->body;
  if (!success && ex->request->body_sink) {
    if (body.size() < kErrorBodyCap) body.append(data, std::min(n, kErrorBodyCap - body.size()));
    return n;
  }
  body.append(data, n);
  return n;
}

extern "C" size_t on_read(char* buf, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::size_t n = size * count;
  if (ex->request->body_reader) {
    try {
      return ex->request->body_reader(buf, n);
    } catch (...) {
      ex->error = std::current_exception();
      return CURL_READFUNC_ABORT;
    }
  }
  std::string_view body = ex->request->body;
  std::size_t take = std::min(n, body.size() - ex->body_offset);
  std::copy_n(body.data() + ex->body_offset, take, buf);
  ex->body_offset += take;
  return take;
}

// Lets curl rewind an in-memory body when it must resend it (e.g. after a redirect or
// a reused connection that turned out to be closed).
extern "C" int on_seek(void* user, curl_off_t offset, int origin) {
  auto* ex = static_cast<Exchange*>(user);
  if (ex->request->body_reader || origin != SEEK_SET || offset < 0 ||
      static_cast<std::size_t>(offset) > ex->request->body.size())
    return CURL_SEEKFUNC_CANTSEEK;
  ex->body_offset = static_cast<std::size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

extern "C" int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* ex = static_cast<Exchange*>(user);
  if (ex->request->should_cancel && ex->request->should_cancel()) {
    ex->cancelled = true;
    return 1;  // aborts the transfer with CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

// Owns a curl_slist for the duration of one exchange.
struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  void add(const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (!next) throw Error("HTTP: out of memory building request headers");
    list = next;
  }
};

}  // namespace

std::optional<std::string> Response::header(std::string_view name) const {
  std::string wanted = lower(name);
  for (const auto& [key, value] : headers)
    if (key == wanted) return value;
  return std::nullopt;
}

Client::Client() {
  global_init_once();
  handle_ = curl_easy_init();
  if (!handle_) throw Error("HTTP: could not create a libcurl handle (curl_easy_init)");
}

Client::~Client() {
  if (handle_) curl_easy_cleanup(static_cast<CURL*>(handle_));
}

Client::Client(Client&& other) noexcept : handle_(other.handle_) { other.handle_ = nullptr; }

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    if (handle_) curl_easy_cleanup(static_cast<CURL*>(handle_));
    handle_ = other.handle_;
    other.handle_ = nullptr;
  }
  return *this;
}

Response Client::perform(const Request& request) {
  CURL* curl = static_cast<CURL*>(handle_);
  curl_easy_reset(curl);

  Response response;
  Exchange ex;
  ex.curl = curl;
  ex.request = &request;
  ex.response = &response;
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ex);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ex);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &ex);

  if (request.timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.timeout.count()));
    long seconds = static_cast<long>((request.timeout.count() + 999) / 1000);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, seconds);
  }
  if (request.total_timeout.count() > 0)
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count()));

  HeaderList headers;
  for (const auto& [name, value] : request.headers) headers.add(name + ": " + value);

  const std::string& method = request.method;
  bool has_body = request.body_reader || !request.body.empty() || method == "PUT" ||
                  method == "POST";
  if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    // Every body goes through the read callback with a known length, whatever the
    // method, so streaming and in-memory bodies take the same path.
    curl_off_t size = request.body_reader ? static_cast<curl_off_t>(request.body_size)
                                          : static_cast<curl_off_t>(request.body.size());
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, size);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &ex);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &ex);
    if (method != "PUT") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    // Keep curl's own "Expect: 100-continue" for large bodies: removing it with an empty
    // "Expect:" entry makes libcurl 7.88's SigV4 sign a header it never sends.
  } else if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);

  if (request.sigv4) {
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, request.sigv4->provider.c_str());
    curl_easy_setopt(curl, CURLOPT_USERNAME, request.sigv4->access_key_id.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, request.sigv4->secret_access_key.c_str());
  }

  CURLcode rc = curl_easy_perform(curl);
  // Drop the credentials from the handle at once; it lives on for connection reuse.
  if (request.sigv4) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, nullptr);
    curl_easy_setopt(curl, CURLOPT_PASSWORD, nullptr);
  }
  if (ex.error) std::rethrow_exception(ex.error);
  if (ex.cancelled) throw CancelledError();
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
    throw TransportError(log::mask_secrets("HTTP " + method + " " + request.url + ": " + detail),
                         static_cast<int>(rc));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

Response perform(const Request& request) {
  Client client;
  return client.perform(request);
}

namespace {

// The message of one send_mail() for curl's read callback.
struct MailBody {
  std::string_view text;
  std::size_t offset = 0;
};

extern "C" size_t on_mail_read(char* buf, size_t size, size_t count, void* user) {
  auto* body = static_cast<MailBody*>(user);
  std::size_t take = std::min(size * count, body->text.size() - body->offset);
  std::copy_n(body->text.data() + body->offset, take, buf);
  body->offset += take;
  return take;
}

}  // namespace

void send_mail(const MailRequest& request) {
  global_init_once();
  CURL* curl = curl_easy_init();
  if (!curl) throw Error("SMTP: could not create a libcurl handle (curl_easy_init)");
  struct Cleanup {
    CURL* curl;
    curl_slist* rcpt = nullptr;
    ~Cleanup() {
      curl_slist_free_all(rcpt);
      curl_easy_cleanup(curl);
    }
  } cleanup{curl};
  for (const auto& to : request.to) {
    curl_slist* next = curl_slist_append(cleanup.rcpt, ("<" + to + ">").c_str());
    if (!next) throw Error("SMTP: out of memory building the recipient list");
    cleanup.rcpt = next;
  }
  MailBody body{request.message};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, ("<" + request.from + ">").c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, cleanup.rcpt);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.message.size()));
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_mail_read);
  curl_easy_setopt(curl, CURLOPT_READDATA, &body);
  if (request.url.rfind("smtp://", 0) == 0 && request.require_starttls)
    curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!request.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, request.ca_file.c_str());
  if (!request.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, request.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, request.password.c_str());
  }
  if (request.timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  }
  CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
    if (rc == CURLE_USE_SSL_FAILED)
      detail += " — the server does not offer STARTTLS: use smtps:// if it speaks TLS on another port, or "
                "starttls = false to send in clear text on a network you trust";
    else if (rc == CURLE_PEER_FAILED_VERIFICATION)
      detail += " — the server's certificate is not trusted here: set ca_file to the PEM file of the CA that "
                "signed it (or check the host name in smtp_url)";
    throw TransportError(log::mask_secrets("SMTP " + request.url + ": " + detail), static_cast<int>(rc));
  }
}

std::string percent_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum || c == '-' || c == '.' || c == '_' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace bb::http
