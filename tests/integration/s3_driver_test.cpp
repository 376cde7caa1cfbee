// Integration tests of the S3 driver (storage/s3) against s3rver behind the
// SigV4-verifying proxy (tests/tools/s3_proxy.py): what only S3 has (multipart parts,
// resumed reads, retries, batch delete, signing, bucket names), and the storage contract
// suite (tests/contract/) on an S3 backend for every clause the interface promises.
// Started by test_s3_driver.py (S3Driver.*, S3Auth.*) and test_storage_contract.py
// (*StorageContract.*), which pass the endpoint and credentials in BB_S3_* environment
// variables and check afterwards that the proxy saw no bad signature and no upload was
// left open.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "contract/storage_contract.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/s3_multipart.h"
#include "storage/s3/s3_storage.h"
#include "stream/sha256.h"
#include "util/error.h"
#include "util/http.h"

namespace bb {
namespace {

constexpr std::uint64_t MiB = 1ull << 20;

std::string env_or_die(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) {
    ADD_FAILURE() << name << " is not set; run this binary through test_s3_driver.py";
    return "";
  }
  return value;
}

// Settings for the test server, each test under its own prefix.
StorageConfig test_config(const std::string& prefix) {
  StorageConfig cfg;
  cfg.type = StorageType::kS3;
  cfg.endpoint = env_or_die("BB_S3_ENDPOINT");
  cfg.region = env_or_die("BB_S3_REGION");
  cfg.bucket = env_or_die("BB_S3_BUCKET");
  cfg.prefix = prefix;
  cfg.access_key_id = Secret{env_or_die("BB_S3_ACCESS_KEY_ID"), "BB_S3_ACCESS_KEY_ID"};
  cfg.secret_access_key = Secret{env_or_die("BB_S3_SECRET_ACCESS_KEY"), "BB_S3_SECRET_ACCESS_KEY"};
  cfg.part_size_bytes = 5 * MiB;
  cfg.upload_concurrency = 3;
  cfg.timeout = std::chrono::milliseconds(30'000);
  cfg.max_retries = 4;
  return cfg;
}

std::string test_prefix() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::string("it/") + info->test_suite_name() + "." + info->name() + "/";
}

// The proxy's counters (GET /__proxy/state).
nlohmann::json proxy_state() {
  http::Request req;
  req.url = env_or_die("BB_S3_PROXY_URL") + "/state";
  http::Response res = http::perform(req);
  EXPECT_EQ(res.status, 200);
  return nlohmann::json::parse(res.body);
}

int proxy_count(const char* kind) {
  auto state = proxy_state();
  return state["by_kind"].contains(kind) ? state["by_kind"][kind].get<int>() : 0;
}

void proxy_faults(const nlohmann::json& rules) {
  http::Request req;
  req.method = "POST";
  req.url = env_or_die("BB_S3_PROXY_URL") + "/faults";
  std::string body = rules.dump();
  req.body = body;
  req.headers = {{"Content-Type", "application/json"}};
  ASSERT_EQ(http::perform(req).status, 200);
}

// Deterministic pseudo-random bytes (incompressible, like a compressed dump).
std::string random_bytes(std::size_t size, std::uint64_t seed) {
  std::string out(size, '\0');
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (std::size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

// Writes data through an ObjectWriter in uneven chunks, as a pipeline would.
void write_in_chunks(ObjectWriter& writer, const std::string& data) {
  std::size_t pos = 0, step = 1;
  while (pos < data.size()) {
    std::size_t n = std::min(data.size() - pos, step);
    writer.write(data.data() + pos, n);
    pos += n;
    step = step * 7 % (3 * MiB) + 4099;
  }
}

std::string sha_of_stream(Storage& storage, const std::string& key, std::uint64_t* size) {
  Sha256 sha;
  storage.get_stream(key, [&](const char* data, std::size_t n) { sha.update(data, n); });
  *size = sha.bytes();
  return sha.hex_digest();
}

bool has_open_upload_for(const std::string& key_fragment) {
  const nlohmann::json state = proxy_state();
  for (const auto& upload : state["open_uploads"])
    if (upload["key"].get<std::string>().find(key_fragment) != std::string::npos) return true;
  return false;
}

// The S3 driver for the contract suite: each test on its own area "contract/<test>/" of
// the bucket, the store under test with the prefix "pg/" inside it.
class S3Backend : public contract::StorageBackend {
 public:
  S3Backend() {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');
    area_ = "contract/" + name + "/";
  }
  ~S3Backend() override {
    if (paged_) proxy_paging(0, 0);
  }
  std::unique_ptr<Storage> open() override { return make_s3_storage(test_config(area_ + "pg/")); }
  std::unique_ptr<Storage> open_parent() override { return make_s3_storage(test_config(area_)); }
  // The uploads the proxy saw initiated in this area and neither completed nor aborted.
  std::optional<std::vector<std::string>> leftovers() override {
    std::vector<std::string> open;
    // Kept in a variable: a range-for over a member of a temporary would dangle.
    const nlohmann::json state = proxy_state();
    for (const auto& upload : state["open_uploads"]) {
      std::string key = upload["key"].get<std::string>();
      if (key.starts_with(area_)) open.push_back(key);
    }
    return open;
  }
  // The proxy answers listings in pages of this size (the driver asks for none).
  bool force_page_size(int objects, int uploads) override {
    proxy_paging(objects, uploads);
    paged_ = true;
    return true;
  }
  int requests(const std::string& kind) override { return proxy_count(kind.c_str()); }
  std::string location() const override {
    return "s3://" + env_or_die("BB_S3_BUCKET") + "/" + area_ + "pg/";
  }
  std::vector<std::string> secrets() const override {
    return {env_or_die("BB_S3_SECRET_ACCESS_KEY"), env_or_die("BB_S3_ACCESS_KEY_ID")};
  }
  std::uint64_t part_size_bytes() const override { return test_config(area_).part_size_bytes; }

 private:
  static void proxy_paging(int objects, int uploads) {
    http::Request req;
    req.method = "POST";
    req.url = env_or_die("BB_S3_PROXY_URL") + "/paging";
    std::string body = nlohmann::json{{"list_objects", objects}, {"list_uploads", uploads}}.dump();
    req.body = body;
    req.headers = {{"Content-Type", "application/json"}};
    EXPECT_EQ(http::perform(req).status, 200);
  }

  std::string area_;
  bool paged_ = false;
};

using contract::StorageContract;
INSTANTIATE_TEST_SUITE_P(
    Integration, StorageContract,
    ::testing::Values(contract::StorageContractParam{
        "S3", [] { return std::make_unique<S3Backend>(); }}),
    contract::StorageContractParam::Name);

TEST(S3Driver, MultipartUpload40MiBReadsBackEqual) {
  auto storage = make_s3_storage(test_config(test_prefix()));
  const std::string data = random_bytes(40 * MiB + 12345, 1);
  int parts_before = proxy_count("upload_part");
  {
    auto writer = storage->open_writer("big.dump.zst");
    write_in_chunks(*writer, data);
    EXPECT_EQ(writer->bytes_written(), data.size());
    EXPECT_FALSE(storage->head("big.dump.zst")) << "visible before commit";
    writer->commit();
  }
  EXPECT_EQ(proxy_count("upload_part") - parts_before, 9);  // 8 full parts + the tail
  auto info = storage->head("big.dump.zst");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, data.size());

  std::uint64_t size = 0;
  EXPECT_EQ(sha_of_stream(*storage, "big.dump.zst", &size), sha256_hex(data));
  EXPECT_EQ(size, data.size());
  EXPECT_EQ(storage->get("big.dump.zst"), data);
  storage->remove({"big.dump.zst"});
}

TEST(S3Driver, LeavesAMultipartObjectForTheAwsCli) {
  // test_s3_driver.py reads these back with `aws s3 cp` and compares the checksum.
  auto storage = make_s3_storage(test_config("it/shared/"));
  const std::string data = random_bytes(11 * MiB + 3, 10);
  auto writer = storage->open_writer("aws-readable.bin");
  write_in_chunks(*writer, data);
  writer->commit();
  storage->put("aws-readable.sha256", sha256_hex(data));
}

TEST(S3Driver, StreamingGetResumesAfterTruncatedBody) {
  auto storage = make_s3_storage(test_config(test_prefix()));
  const std::string data = random_bytes(12 * MiB + 7, 2);
  auto writer = storage->open_writer("resume.bin");
  write_in_chunks(*writer, data);
  writer->commit();

  int gets_before = proxy_count("get_object");
  proxy_faults({{{"kind", "get_object"}, {"action", "truncate"}, {"after_bytes", 3 * MiB + 11},
                 {"times", 2}}});
  std::uint64_t size = 0;
  EXPECT_EQ(sha_of_stream(*storage, "resume.bin", &size), sha256_hex(data));
  EXPECT_EQ(size, data.size());
  EXPECT_EQ(proxy_count("get_object") - gets_before, 3);  // two cut short, then the rest
  storage->remove({"resume.bin"});
}

TEST(S3Driver, TransientErrorsAreRetried) {
  auto storage = make_s3_storage(test_config(test_prefix()));
  const std::string data = random_bytes(11 * MiB, 3);
  proxy_faults({{{"kind", "upload_part"}, {"action", "status"}, {"status", 503},
                 {"code", "SlowDown"}, {"times", 2}},
                {{"kind", "put_object"}, {"action", "status"}, {"status", 500},
                 {"code", "InternalError"}, {"times", 1}},
                {{"kind", "list_objects"}, {"action", "reset"}, {"times", 1}}});
  auto writer = storage->open_writer("retried.bin");
  write_in_chunks(*writer, data);
  writer->commit();
  storage->put("small.json", "{}");
  EXPECT_EQ(storage->list("").size(), 2u);
  EXPECT_EQ(storage->get("retried.bin"), data);
  storage->remove({"retried.bin", "small.json"});
}

TEST(S3Driver, ObjectSmallerThanOnePartIsOnePut) {
  auto storage = make_s3_storage(test_config(test_prefix()));
  int initiated_before = proxy_count("create_upload");
  const std::string data = random_bytes(3 * MiB, 4);
  auto writer = storage->open_writer("small.dump");
  write_in_chunks(*writer, data);
  writer->commit();
  auto exact = storage->open_writer("exact.dump");  // exactly one part: still one PUT
  std::string one_part = random_bytes(5 * MiB, 5);
  exact->write(one_part.data(), one_part.size());
  exact->commit();
  auto empty = storage->open_writer("empty.dump");
  empty->commit();
  EXPECT_EQ(proxy_count("create_upload"), initiated_before);
  EXPECT_EQ(storage->get("small.dump"), data);
  EXPECT_EQ(storage->get("exact.dump"), one_part);
  EXPECT_EQ(storage->get("empty.dump"), "");
  storage->remove({"small.dump", "exact.dump", "empty.dump"});
}

TEST(S3Driver, ListsAndDeletesMoreThan1000Keys) {
  auto storage = make_s3_storage(test_config(test_prefix()));
  constexpr int kKeys = 1100;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "many/k%05d", i);
    keys.emplace_back(name);
  }
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  std::atomic<bool> failed{false};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      try {
        for (int i = next++; i < kKeys; i = next++) storage->put(keys[i], keys[i]);
      } catch (...) {
        failed = true;
      }
    });
  for (auto& t : threads) t.join();
  ASSERT_FALSE(failed);

  int lists_before = proxy_count("list_objects");
  auto listed = storage->list("many/");
  EXPECT_GE(proxy_count("list_objects") - lists_before, 2) << "continuation token not used";
  ASSERT_EQ(listed.size(), static_cast<std::size_t>(kKeys));
  for (int i = 0; i < kKeys; ++i) EXPECT_EQ(listed[i].key, keys[i]);

  int deletes_before = proxy_count("delete_objects");
  storage->remove(keys);
  // 1000 + 100 keys; s3rver sometimes answers 500 to a batch (its concurrent directory
  // clean-up races with itself), which the driver retries.
  EXPECT_GE(proxy_count("delete_objects") - deletes_before, 2);
  EXPECT_TRUE(storage->list("many/").empty());
}

TEST(S3Driver, UnderscoreBucketUsesPathStyle) {
  StorageConfig cfg = test_config(test_prefix());
  cfg.bucket = env_or_die("BB_S3_UNDERSCORE_BUCKET");
  auto storage = make_s3_storage(cfg);
  storage->put("a.json", "{}");
  EXPECT_EQ(storage->get("a.json"), "{}");
  ASSERT_EQ(storage->list("").size(), 1u);
  storage->remove({"a.json"});
}

TEST(S3Driver, MissingBucketNamesTheFix) {
  StorageConfig cfg = test_config(test_prefix());
  cfg.bucket = "no-such-bucket-here";
  auto storage = make_s3_storage(cfg);
  try {
    storage->list("");
    FAIL() << "listing a missing bucket succeeded";
  } catch (const NotFoundError& e) {
    FAIL() << "a missing bucket is not a missing object: " << e.what();
  } catch (const StorageError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("S3: bucket \"no-such-bucket-here\" not found at " + cfg.endpoint +
                       ": HTTP 404 NoSuchBucket — check storage.bucket"),
              std::string::npos)
        << msg;
  }
}

TEST(S3Driver, RefusesBeforeThePartLimit) {
  // The writer with S3's limit lowered to 3 parts: the 4th part is refused with a clear
  // message and the upload is aborted, as it would be before part 10,001.
  StorageConfig cfg = test_config(test_prefix());
  auto client = std::make_shared<s3::Client>(cfg);
  auto writer = s3::make_multipart_writer(client, cfg.prefix + "huge.dump", 5 * MiB, 2, 3);
  const std::string part = random_bytes(5 * MiB, 9);
  for (int i = 0; i < 3; ++i) writer->write(part.data(), part.size());
  try {
    writer->write("x", 1);
    FAIL() << "a 4th part was accepted";
  } catch (const StorageError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("needs more than 3 parts of 5 MiB"), std::string::npos) << msg;
    EXPECT_NE(msg.find("raise storage.part_size"), std::string::npos) << msg;
  }
  EXPECT_FALSE(has_open_upload_for("huge.dump"));
  EXPECT_THROW(writer->commit(), StorageError);
  auto storage = make_s3_storage(cfg);
  EXPECT_FALSE(storage->head("huge.dump"));
}

TEST(S3Driver, UnreachableEndpointIsATransientErrorNamingTheEndpoint) {
  StorageConfig cfg = test_config(test_prefix());
  cfg.endpoint = "http://127.0.0.1:1";
  cfg.max_retries = 1;
  auto storage = make_s3_storage(cfg);
  try {
    storage->list("");
    FAIL() << "listing an unreachable endpoint succeeded";
  } catch (const StorageError& e) {
    std::string msg = e.what();
    EXPECT_TRUE(e.transient());
    EXPECT_NE(msg.find("http://127.0.0.1:1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("check storage.endpoint"), std::string::npos) << msg;
  }
}

TEST(S3Driver, RefusesBadSettings) {
  StorageConfig cfg = test_config(test_prefix());
  cfg.part_size_bytes = 1 * MiB;
  EXPECT_THROW(make_s3_storage(cfg), ConfigError);
  cfg = test_config(test_prefix());
  cfg.endpoint = "127.0.0.1:9000";
  EXPECT_THROW(make_s3_storage(cfg), ConfigError);
  cfg = test_config(test_prefix());
  cfg.secret_access_key = {};
  EXPECT_THROW(make_s3_storage(cfg), ConfigError);
}

// Run separately by test_s3_driver.py: these make the proxy count signature failures.
TEST(S3Auth, WrongSecretGivesClearAccessDenied) {
  StorageConfig cfg = test_config(test_prefix());
  const std::string wrong = "wrong-secret-value-123";
  cfg.secret_access_key = Secret{wrong, "test"};
  cfg.max_retries = 0;
  auto storage = make_s3_storage(cfg);
  try {
    storage->put("x.json", "{}");
    FAIL() << "a wrong secret was accepted";
  } catch (const StorageError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("S3: access denied to bucket \"" + cfg.bucket + "\" at " + cfg.endpoint +
                       ": HTTP 403 SignatureDoesNotMatch — check storage.access_key_id / "
                       "secret_access_key"),
              std::string::npos)
        << msg;
    EXPECT_EQ(msg.find(wrong), std::string::npos) << "secret leaked: " << msg;
    EXPECT_FALSE(e.transient());
  }
  try {
    storage->head("x.json");  // no body in a HEAD answer: still a clear message
    FAIL() << "a wrong secret was accepted";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("check storage.access_key_id"), std::string::npos)
        << e.what();
  }
}

TEST(S3Auth, UnknownAccessKeyGivesClearAccessDenied) {
  StorageConfig cfg = test_config(test_prefix());
  cfg.access_key_id = Secret{"NOSUCHKEY", "test"};
  auto storage = make_s3_storage(cfg);
  try {
    storage->list("");
    FAIL() << "an unknown key was accepted";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 403 InvalidAccessKeyId — check storage.access_key_id"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace bb
