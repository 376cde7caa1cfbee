// S3 request building: the pure pieces every S3 call goes through.
#include "storage/s3/s3_request.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include "util/error.h"
#include "util/http.h"

namespace bb::s3 {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool is_ipv4(std::string_view text) {
  int parts = 0;
  std::size_t i = 0;
  while (i <= text.size()) {
    std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start || i - start > 3) return false;
    ++parts;
    if (i == text.size()) break;
    if (text[i] != '.') return false;
    ++i;
  }
  return parts == 4;
}

std::string digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1)
    throw OperationError("OpenSSL digest failed");
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace

Endpoint parse_endpoint(const std::string& url) {
  auto bad = [&](const std::string& why) {
    return ConfigError("storage.endpoint \"" + url + "\": " + why +
                       " — use a URL like https://s3.example.com or http://127.0.0.1:9000");
  };
  Endpoint ep;
  auto sep = url.find("://");
  if (sep == std::string::npos) throw bad("no scheme");
  ep.scheme = url.substr(0, sep);
  std::transform(ep.scheme.begin(), ep.scheme.end(), ep.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ep.scheme != "http" && ep.scheme != "https") throw bad("scheme must be http or https");
  std::string rest = url.substr(sep + 3);
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) {
    ep.base_path = rest.substr(slash);
    while (!ep.base_path.empty() && ep.base_path.back() == '/') ep.base_path.pop_back();
  }
  if (authority.find('@') != std::string::npos)
    throw bad("credentials do not belong in the URL (use storage.access_key_id)");
  if (authority.find_first_of("?#") != std::string::npos ||
      ep.base_path.find_first_of("?#") != std::string::npos)
    throw bad("no query or fragment allowed");
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) throw bad("unclosed IPv6 literal");
    ep.host = authority.substr(0, close + 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') throw bad("bad port");
      ep.port = after.substr(1);
    }
  } else {
    auto colon = authority.find(':');
    ep.host = authority.substr(0, colon);
    if (colon != std::string::npos) ep.port = authority.substr(colon + 1);
  }
  if (ep.host.empty()) throw bad("no host");
  std::transform(ep.host.begin(), ep.host.end(), ep.host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!ep.port.empty() &&
      (ep.port.size() > 5 || !std::all_of(ep.port.begin(), ep.port.end(),
                                          [](unsigned char c) { return std::isdigit(c); })))
    throw bad("bad port");
  return ep;
}

bool is_dns_safe_bucket(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  if (!is_lower_alnum(bucket.front()) || !is_lower_alnum(bucket.back())) return false;
  for (std::size_t i = 0; i < bucket.size(); ++i) {
    char c = bucket[i];
    if (!is_lower_alnum(c) && c != '-' && c != '.') return false;
    if (c == '.' && i > 0 && (bucket[i - 1] == '.' || bucket[i - 1] == '-')) return false;
    if (c == '-' && i > 0 && bucket[i - 1] == '.') return false;
  }
  return !is_ipv4(bucket);
}

bool is_ip_or_localhost(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') return true;
  if (host == "localhost" || (host.size() > 10 && host.substr(host.size() - 10) == ".localhost"))
    return true;
  return is_ipv4(host);
}

bool use_path_style(std::optional<bool> configured, const Endpoint& endpoint,
                    std::string_view bucket) {
  if (configured) return *configured;
  if (!is_dns_safe_bucket(bucket)) return true;
  if (is_ip_or_localhost(endpoint.host)) return true;
  if (endpoint.scheme == "https" && bucket.find('.') != std::string_view::npos) return true;
  return false;
}

std::string encode_key(std::string_view key) { return http::percent_encode(key, true); }

std::string canonical_query(const QueryParams& params) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& [name, value] : params)
    encoded.emplace_back(http::percent_encode(name), http::percent_encode(value));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string build_url(const Endpoint& endpoint, std::string_view bucket, bool path_style,
                      std::string_view key, const QueryParams& params) {
  std::string url = endpoint.scheme + "://";
  if (path_style) {
    url += endpoint.authority() + endpoint.base_path + "/" + http::percent_encode(bucket) + "/";
  } else {
    url += std::string(bucket) + "." + endpoint.authority() + endpoint.base_path + "/";
  }
  url += encode_key(key);
  std::string query = canonical_query(params);
  if (!query.empty()) url += "?" + query;
  return url;
}

std::string md5_base64(std::string_view data) {
  std::string raw = digest(EVP_md5(), data);
  unsigned char out[64];
  int len = EVP_EncodeBlock(out, reinterpret_cast<const unsigned char*>(raw.data()),
                            static_cast<int>(raw.size()));
  return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
}

std::uint64_t choose_part_size(std::uint64_t configured_bytes, std::uint64_t size_hint_bytes) {
  constexpr std::uint64_t kMiB = 1ull << 20;
  constexpr std::uint64_t kTargetParts = 8'000;
  std::uint64_t size = std::max(configured_bytes, kMinPartSize);
  if (size_hint_bytes > 0) {
    std::uint64_t needed = (size_hint_bytes + kTargetParts - 1) / kTargetParts;
    needed = (needed + kMiB - 1) / kMiB * kMiB;
    size = std::max(size, needed);
  }
  return std::min(size, kMaxPartSize);
}

}  // namespace bb::s3
