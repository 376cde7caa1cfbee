// S3 request building, pure: endpoint parsing, addressing style (path-style or
// virtual-hosted), object key encoding, canonical query strings, payload hashes and
// part sizing. No network; unit-tested with tables of cases.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bb::s3 {

// Query parameters as given (unencoded); order does not matter.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// An endpoint URL split into its parts: "https://host:port/base".
struct Endpoint {
  std::string scheme;     // "http" or "https"
  std::string host;       // without port; IPv6 literals keep their brackets
  std::string port;       // "" when not given
  std::string base_path;  // "" or "/something" (no trailing slash)
  // "host" or "host:port".
  std::string authority() const { return port.empty() ? host : host + ":" + port; }
};

// Parses "http(s)://host[:port][/path]". Throws ConfigError naming storage.endpoint.
Endpoint parse_endpoint(const std::string& url);

// True when bucket can be a DNS label set (3-63 chars of [a-z0-9.-], starting and
// ending alphanumeric, no "..", not an IPv4 address): needed for virtual-hosted style.
bool is_dns_safe_bucket(std::string_view bucket);

// True for IPv4/IPv6 literals and "localhost" (virtual-hosted names cannot resolve).
bool is_ip_or_localhost(std::string_view host);

// Addressing choice: the configured value when set; else path-style when the bucket
// is not DNS-safe, the host is an IP or localhost, or the bucket holds '.' over https
// (TLS wildcard certificates do not cover dotted sub-names).
bool use_path_style(std::optional<bool> configured, const Endpoint& endpoint,
                    std::string_view bucket);

// Percent-encodes an object key for the URL path: every byte outside
// [A-Za-z0-9-._~/] becomes %XX (UTF-8 bytes one by one).
std::string encode_key(std::string_view key);

// Canonical query string as SigV4 signs it: names and values percent-encoded per
// RFC 3986 ('/' too), sorted by name then value, "name=" for empty values.
std::string canonical_query(const QueryParams& params);

// Full request URL for an object key (may be empty for bucket-level requests) and
// query, in the chosen addressing style.
std::string build_url(const Endpoint& endpoint, std::string_view bucket, bool path_style,
                      std::string_view key, const QueryParams& params = {});

// Base64 of the MD5 digest of data: the Content-MD5 value.
std::string md5_base64(std::string_view data);
// x-amz-content-sha256 of an empty body.
inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// S3 multipart limits.
inline constexpr std::uint64_t kMinPartSize = 5ull << 20;
inline constexpr std::uint64_t kMaxPartSize = 5ull << 30;
inline constexpr int kMaxParts = 10'000;

// Part size for an upload: the configured size, raised (to whole MiB) when the
// expected size (0 = unknown) would need more than 8,000 parts, within S3's limits.
std::uint64_t choose_part_size(std::uint64_t configured_bytes, std::uint64_t size_hint_bytes);

}  // namespace bb::s3
