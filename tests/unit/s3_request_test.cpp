// Unit tests of S3 request building (storage/s3/s3_request, s3_error) and the HTTP
// layer's percent-encoding: addressing styles, key encoding, canonical queries,
// part sizing and error messages. No server.
#include "storage/s3/s3_request.h"

#include <gtest/gtest.h>

#include "storage/s3/s3_error.h"
#include "util/error.h"
#include "util/http.h"

namespace bb::s3 {
namespace {

TEST(S3Endpoint, ParsesSchemeHostPortAndPath) {
  Endpoint ep = parse_endpoint("http://127.0.0.1:9000");
  EXPECT_EQ(ep.scheme, "http");
  EXPECT_EQ(ep.host, "127.0.0.1");
  EXPECT_EQ(ep.port, "9000");
  EXPECT_EQ(ep.base_path, "");
  EXPECT_EQ(ep.authority(), "127.0.0.1:9000");

  ep = parse_endpoint("HTTPS://S3.Timeweb.Cloud/");
  EXPECT_EQ(ep.scheme, "https");
  EXPECT_EQ(ep.host, "s3.timeweb.cloud");
  EXPECT_EQ(ep.port, "");
  EXPECT_EQ(ep.base_path, "");

  ep = parse_endpoint("http://[::1]:8080/s3/");
  EXPECT_EQ(ep.host, "[::1]");
  EXPECT_EQ(ep.port, "8080");
  EXPECT_EQ(ep.base_path, "/s3");
}

TEST(S3Endpoint, RejectsBadUrlsWithConfigError) {
  for (const char* bad : {"s3.timeweb.cloud", "ftp://host", "https://", "http://host:port",
                          "https://key:secret@host", "http://host/?x=1"}) {
    EXPECT_THROW(parse_endpoint(bad), ConfigError) << bad;
  }
  try {
    parse_endpoint("s3.example.com");
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("storage.endpoint"), std::string::npos);
  }
}

TEST(S3Addressing, DnsSafeBuckets) {
  EXPECT_TRUE(is_dns_safe_bucket("my-bucket"));
  EXPECT_TRUE(is_dns_safe_bucket("backups.example.com"));
  EXPECT_TRUE(is_dns_safe_bucket("abc"));
  EXPECT_FALSE(is_dns_safe_bucket("339e534d-my_test_bucket"));  // underscore
  EXPECT_FALSE(is_dns_safe_bucket("MyBucket"));                 // upper case
  EXPECT_FALSE(is_dns_safe_bucket("ab"));                       // too short
  EXPECT_FALSE(is_dns_safe_bucket(std::string(64, 'a')));      // too long
  EXPECT_FALSE(is_dns_safe_bucket("-bucket"));
  EXPECT_FALSE(is_dns_safe_bucket("bucket-"));
  EXPECT_FALSE(is_dns_safe_bucket("a..b"));
  EXPECT_FALSE(is_dns_safe_bucket("a.-b"));
  EXPECT_FALSE(is_dns_safe_bucket("192.168.1.1"));  // IP-formatted
}

TEST(S3Addressing, IpAndLocalhostHosts) {
  EXPECT_TRUE(is_ip_or_localhost("127.0.0.1"));
  EXPECT_TRUE(is_ip_or_localhost("localhost"));
  EXPECT_TRUE(is_ip_or_localhost("[::1]"));
  EXPECT_FALSE(is_ip_or_localhost("s3.timeweb.cloud"));
  EXPECT_FALSE(is_ip_or_localhost("1.2.3.example.com"));
}

TEST(S3Addressing, ChoosesStyle) {
  Endpoint aws = parse_endpoint("https://s3.eu-west-1.amazonaws.com");
  Endpoint local = parse_endpoint("http://127.0.0.1:9000");
  Endpoint named = parse_endpoint("http://localhost:9000");
  EXPECT_FALSE(use_path_style(std::nullopt, aws, "my-bucket"));
  EXPECT_TRUE(use_path_style(std::nullopt, aws, "339e534d-my_test_bucket"));
  EXPECT_TRUE(use_path_style(std::nullopt, aws, "Upper"));
  EXPECT_TRUE(use_path_style(std::nullopt, aws, "dotted.bucket"));  // TLS wildcard
  EXPECT_TRUE(use_path_style(std::nullopt, local, "my-bucket"));
  EXPECT_TRUE(use_path_style(std::nullopt, named, "my-bucket"));
  // An explicit setting wins, both ways.
  EXPECT_TRUE(use_path_style(true, aws, "my-bucket"));
  EXPECT_FALSE(use_path_style(false, local, "my-bucket"));
}

TEST(S3Url, PathStyle) {
  Endpoint ep = parse_endpoint("https://s3.timeweb.cloud");
  EXPECT_EQ(build_url(ep, "339e534d-my_test_bucket", true, "pg/db/x.json"),
            "https://s3.timeweb.cloud/339e534d-my_test_bucket/pg/db/x.json");
  EXPECT_EQ(build_url(ep, "b_1", true, "", {{"list-type", "2"}, {"prefix", "pg/"}}),
            "https://s3.timeweb.cloud/b_1/?list-type=2&prefix=pg%2F");
  Endpoint local = parse_endpoint("http://127.0.0.1:4568/base");
  EXPECT_EQ(build_url(local, "bkt", true, "a b", {{"uploads", ""}}),
            "http://127.0.0.1:4568/base/bkt/a%20b?uploads=");
}

TEST(S3Url, VirtualHostedStyle) {
  Endpoint ep = parse_endpoint("https://s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(build_url(ep, "my-bucket", false, "pg/db/x.json"),
            "https://my-bucket.s3.eu-west-1.amazonaws.com/pg/db/x.json");
  EXPECT_EQ(build_url(ep, "my-bucket", false, ""),
            "https://my-bucket.s3.eu-west-1.amazonaws.com/");
  Endpoint with_port = parse_endpoint("http://storage.example:9000");
  EXPECT_EQ(build_url(with_port, "b-1", false, "k", {{"partNumber", "3"}, {"uploadId", "x/y+z"}}),
            "http://b-1.storage.example:9000/k?partNumber=3&uploadId=x%2Fy%2Bz");
}

TEST(S3Key, EncodesEverythingOutsideUnreservedAndSlash) {
  EXPECT_EQ(encode_key("pg/db/20240101T000000Z.dump.zst"), "pg/db/20240101T000000Z.dump.zst");
  EXPECT_EQ(encode_key("a b+c"), "a%20b%2Bc");
  EXPECT_EQ(encode_key("100%"), "100%25");
  EXPECT_EQ(encode_key("~user/_x-y."), "~user/_x-y.");
  EXPECT_EQ(encode_key("база"), "%D0%B1%D0%B0%D0%B7%D0%B0");
  EXPECT_EQ(encode_key("a=b&c?d#e"), "a%3Db%26c%3Fd%23e");
  EXPECT_EQ(encode_key("*'()!"), "%2A%27%28%29%21");
}

TEST(S3Query, CanonicalSortedEncoded) {
  EXPECT_EQ(canonical_query({}), "");
  EXPECT_EQ(canonical_query({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(canonical_query({{"uploads", ""}, {"prefix", "pg/db 1/"}}),
            "prefix=pg%2Fdb%201%2F&uploads=");
  EXPECT_EQ(canonical_query({{"prefix", "x"}, {"list-type", "2"}, {"continuation-token", "a+b=="}}),
            "continuation-token=a%2Bb%3D%3D&list-type=2&prefix=x");
  EXPECT_EQ(canonical_query({{"uploadId", "2~x"}, {"partNumber", "10"}}),
            "partNumber=10&uploadId=2~x");
  // Sorting is by the encoded name (byte order: upper case before lower case).
  EXPECT_EQ(canonical_query({{"b", "1"}, {"B", "2"}, {"a", ""}}), "B=2&a=&b=1");
}

TEST(S3Hash, Md5Base64) {
  EXPECT_EQ(md5_base64(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(md5_base64("hello"), "XUFAKrxLKna5cZ2REBfFkg==");
}

TEST(S3PartSize, RaisedForLargeExpectedSizes) {
  constexpr std::uint64_t MiB = 1ull << 20;
  EXPECT_EQ(choose_part_size(16 * MiB, 0), 16 * MiB);
  EXPECT_EQ(choose_part_size(16 * MiB, 10'000 * MiB), 16 * MiB);
  EXPECT_EQ(choose_part_size(1 * MiB, 0), kMinPartSize);
  // A 1 MB database: the configured part size (one part, sent as a single PUT).
  EXPECT_EQ(choose_part_size(16 * MiB, 1 * MiB), 16 * MiB);
  // 50 GB: 3,200 parts of 16 MiB stay far below 10,000.
  EXPECT_EQ(choose_part_size(16 * MiB, 50'000 * MiB), 16 * MiB);
  // 2 TB with default settings: parts big enough for 8,000 of them.
  std::uint64_t two_tb = 2'000'000ull * MiB;
  std::uint64_t part = choose_part_size(16 * MiB, two_tb);
  EXPECT_EQ(part % MiB, 0u);
  EXPECT_LE((two_tb + part - 1) / part, 8'000u);
  EXPECT_EQ(choose_part_size(16 * MiB, 1ull << 50), kMaxPartSize);
}

TEST(S3Errors, TransientClassification) {
  EXPECT_TRUE(is_transient(500, "InternalError"));
  EXPECT_TRUE(is_transient(503, "SlowDown"));
  EXPECT_TRUE(is_transient(429, ""));
  EXPECT_TRUE(is_transient(400, "RequestTimeout"));
  EXPECT_FALSE(is_transient(403, "SignatureDoesNotMatch"));
  EXPECT_FALSE(is_transient(404, "NoSuchKey"));
  EXPECT_FALSE(is_transient(501, "NotImplemented"));  // a missing feature does not come back on retry
}

TEST(S3Errors, MessagesNameTheFix) {
  RequestContext c{"list", "x", "", "http://127.0.0.1:9000"};
  EXPECT_EQ(error_message(c, 404, ErrorInfo{"NoSuchBucket", "The specified bucket does not exist", "", ""}),
            "S3: bucket \"x\" not found at http://127.0.0.1:9000: HTTP 404 NoSuchBucket — check "
            "storage.bucket");
  EXPECT_EQ(error_message(c, 403, ErrorInfo{"SignatureDoesNotMatch", "sig", "", ""}),
            "S3: access denied to bucket \"x\" at http://127.0.0.1:9000: HTTP 403 "
            "SignatureDoesNotMatch — check storage.access_key_id / secret_access_key");
  EXPECT_NE(error_message(c, 403, std::nullopt).find("check storage.access_key_id"),
            std::string::npos);
  EXPECT_NE(error_message(c, 403, ErrorInfo{"RequestTimeTooSkewed", "", "", ""}).find("clock"),
            std::string::npos);
  EXPECT_NE(error_message(c, 400, ErrorInfo{"AuthorizationHeaderMalformed", "", "", ""})
                .find("storage.region"),
            std::string::npos);
  RequestContext get{"GET", "x", "pg/a.json", "http://h"};
  EXPECT_EQ(error_message(get, 404, ErrorInfo{"NoSuchKey", "", "", ""}),
            "S3: object \"pg/a.json\" in bucket \"x\" not found at http://h: HTTP 404 NoSuchKey");
  EXPECT_EQ(error_message(get, 503, ErrorInfo{"SlowDown", "Reduce your request rate", "", ""}),
            "S3: GET of object \"pg/a.json\" in bucket \"x\" failed at http://h: HTTP 503 SlowDown "
            "(Reduce your request rate) — the service is unavailable or throttling; try again later");
}

TEST(S3Errors, ThrowsTheRightType) {
  RequestContext get{"GET", "x", "k", "http://h"};
  EXPECT_THROW(throw_error(get, 404, ErrorInfo{"NoSuchKey", "", "", ""}), NotFoundError);
  try {
    throw_error(get, 503, ErrorInfo{"SlowDown", "", "", ""});
  } catch (const NotFoundError&) {
    FAIL() << "503 is not a missing object";
  } catch (const StorageError& e) {
    EXPECT_TRUE(e.transient());
    EXPECT_EQ(e.http_status(), 503);
  }
  try {
    throw_error(get, 404, ErrorInfo{"NoSuchBucket", "", "", ""});
  } catch (const NotFoundError&) {
    FAIL() << "a missing bucket is a configuration problem, not a missing object";
  } catch (const StorageError& e) {
    EXPECT_FALSE(e.transient());
  }
}

TEST(HttpPercentEncode, Rfc3986Unreserved) {
  EXPECT_EQ(http::percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(http::percent_encode("a/b"), "a%2Fb");
  EXPECT_EQ(http::percent_encode("a/b", true), "a/b");
  EXPECT_EQ(http::percent_encode(std::string("\x00\xff", 2)), "%00%FF");
}

}  // namespace
}  // namespace bb::s3
