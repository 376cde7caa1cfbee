// The storage contract suite (see storage_contract.h): one test per clause of
// storage/storage.h. Each test starts on a fresh, empty area of the backend.
#include "contract/storage_contract.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "util/error.h"

namespace bb::contract {
namespace {

using std::chrono::system_clock;

// Deterministic pseudo-random bytes (incompressible, every byte value, NULs included).
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

std::vector<std::string> keys_of(const std::vector<ObjectInfo>& objects) {
  std::vector<std::string> keys;
  for (const auto& o : objects) keys.push_back(o.key);
  return keys;
}

std::set<std::string> keys_of(const std::vector<PendingUpload>& uploads) {
  std::set<std::string> keys;
  for (const auto& u : uploads) keys.insert(u.key);
  return keys;
}

// Writes data through writer as a pipeline would: an empty write, a tiny one, one larger
// than a part, then uneven chunks.
void write_unevenly(ObjectWriter& writer, const std::string& data, std::uint64_t part_size) {
  std::size_t pos = 0;
  writer.write(data.data(), 0);
  std::size_t step = std::min<std::size_t>(2, data.size());
  bool big_done = false;
  while (pos < data.size()) {
    std::size_t n = std::min(data.size() - pos, step);
    writer.write(data.data() + pos, n);
    pos += n;
    step = big_done ? static_cast<std::size_t>(part_size / 3 + 7) : part_size + 1;
    big_done = true;
  }
}

std::string read_stream(Storage& store, const std::string& key) {
  std::string out;
  store.get_stream(key, [&](const char* data, std::size_t size) { out.append(data, size); });
  return out;
}

bool is_recent(system_clock::time_point when) {
  return std::chrono::abs(system_clock::now() - when) < std::chrono::minutes(5);
}

// key is absent in every way the interface can tell.
void expect_absent(Storage& store, const std::string& key) {
  EXPECT_FALSE(store.head(key).has_value()) << key;
  EXPECT_THROW(store.get(key), NotFoundError) << key;
  auto listed = keys_of(store.list(""));
  EXPECT_EQ(std::count(listed.begin(), listed.end(), key), 0) << key << " is listed";
}

}  // namespace

void StorageContract::SetUp() {
  backend_ = GetParam().make();
  store_ = backend_->open();
  ASSERT_TRUE(store_);
  ASSERT_TRUE(store_->list("").empty()) << "the test's area is not empty";
  ASSERT_TRUE(store_->list_uploads("").empty()) << "the test's area has unfinished uploads";
}

void StorageContract::TearDown() {
  store_.reset();
  backend_.reset();
}

namespace {

// Nothing unfinished, neither as the driver lists it nor as the backend holds it.
void expect_nothing_pending(StorageBackend& backend, Storage& store) {
  auto uploads = store.list_uploads("");
  EXPECT_TRUE(uploads.empty()) << uploads.size() << " unfinished upload(s), first "
                               << (uploads.empty() ? "" : uploads[0].key);
  if (auto left = backend.leftovers()) {
    EXPECT_TRUE(left->empty()) << "the backend still holds " << left->size()
                               << " unfinished upload(s), first " << left->front();
  }
}

// Clause: put/get round trip keeps every byte (NULs, all 256 values); head and list
// report the size; get_stream delivers the same bytes in order.
TEST_P(StorageContract, PutGetRoundTripKeepsEveryByte) {
  std::string binary;
  for (int round = 0; round < 4; ++round)
    for (int c = 0; c < 256; ++c) binary.push_back(static_cast<char>(c));
  binary += std::string("\0\0tail\0", 7);
  const std::string large = random_bytes((1u << 20) + 4099, 1);
  store_->put("db/binary.bin", binary);
  store_->put("db/large.bin", large);

  EXPECT_EQ(store_->get("db/binary.bin"), binary);
  EXPECT_EQ(read_stream(*store_, "db/binary.bin"), binary);
  EXPECT_EQ(store_->get("db/large.bin"), large);
  EXPECT_EQ(read_stream(*store_, "db/large.bin"), large);
  auto info = store_->head("db/binary.bin");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->key, "db/binary.bin");
  EXPECT_EQ(info->size, binary.size());
  EXPECT_TRUE(is_recent(info->last_modified));
  auto listed = store_->list("db/");
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].key, "db/binary.bin");
  EXPECT_EQ(listed[0].size, binary.size());
  EXPECT_EQ(listed[1].key, "db/large.bin");
  EXPECT_EQ(listed[1].size, large.size());
  // list and head agree on the time (to the second: S3 listings and HTTP dates differ in
  // precision).
  EXPECT_LE(std::chrono::abs(listed[0].last_modified - info->last_modified),
            std::chrono::seconds(2));
  EXPECT_TRUE(is_recent(listed[1].last_modified));
}

// Clause: an empty object is an object (put, and a writer committed without a write).
TEST_P(StorageContract, EmptyObjectIsAnObject) {
  store_->put("db/empty", "");
  EXPECT_EQ(store_->get("db/empty"), "");
  EXPECT_EQ(read_stream(*store_, "db/empty"), "");
  auto info = store_->head("db/empty");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, 0u);
  auto writer = store_->open_writer("db/empty-writer");
  EXPECT_EQ(writer->bytes_written(), 0u);
  writer->commit();
  EXPECT_EQ(store_->get("db/empty-writer"), "");
  auto listed = store_->list("db/");
  ASSERT_EQ(keys_of(listed), (std::vector<std::string>{"db/empty", "db/empty-writer"}));
  EXPECT_EQ(listed[0].size, 0u);
  EXPECT_EQ(listed[1].size, 0u);
}

// Clause: put over an existing key replaces content and size; the key is listed once.
TEST_P(StorageContract, OverwriteReplacesContentAndSize) {
  store_->put("db/k", "a longer first version");
  store_->put("db/k", "second");
  EXPECT_EQ(store_->get("db/k"), "second");
  EXPECT_EQ(store_->head("db/k")->size, 6u);
  auto listed = store_->list("");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].size, 6u);
}

// Clause: get and get_stream of an absent key throw NotFoundError (naming the key,
// status 404) and deliver nothing; head answers nullopt. A prefix of an existing key
// ("a directory") and a path below an object are absent too; so is an empty listing.
TEST_P(StorageContract, MissingKeysAreNotFound) {
  try {
    store_->get("db/missing.json");
    FAIL() << "get of a missing key returned";
  } catch (const NotFoundError& e) {
    EXPECT_NE(std::string(e.what()).find("db/missing.json"), std::string::npos) << e.what();
    EXPECT_EQ(e.http_status(), 404);
  }
  bool delivered = false;
  EXPECT_THROW(
      store_->get_stream("db/missing.json", [&](const char*, std::size_t) { delivered = true; }),
      NotFoundError);
  EXPECT_FALSE(delivered);
  EXPECT_FALSE(store_->head("db/missing.json").has_value());

  store_->put("db/x", "1");
  for (const char* key : {"db", "db/x/y", "db/x.", "d"}) {
    EXPECT_FALSE(store_->head(key).has_value()) << key;
    EXPECT_THROW(store_->get(key), NotFoundError) << key;
    EXPECT_THROW(store_->get_stream(key, [](const char*, std::size_t) {}), NotFoundError) << key;
  }
  EXPECT_TRUE(store_->list("nothing-here/").empty());
  EXPECT_TRUE(store_->list("db/x/").empty());
}

// Clause: remove deletes exactly the named keys, in one call; absent keys (alone, among
// others, or an empty list) are not an error.
TEST_P(StorageContract, RemoveDeletesOnlyTheNamedKeys) {
  for (const char* key : {"db/a", "db/a.bak", "db/ab", "db/sub/a", "keep"}) store_->put(key, key);
  store_->remove({"db/a", "db/missing", "gone/never", "db/sub/a"});
  EXPECT_EQ(keys_of(store_->list("")), (std::vector<std::string>{"db/a.bak", "db/ab", "keep"}));
  expect_absent(*store_, "db/a");
  expect_absent(*store_, "db/sub/a");
  store_->remove({});
  store_->remove({"db/missing"});
  store_->remove({"db/a"});  // removed twice
  EXPECT_EQ(store_->get("db/ab"), "db/ab");
  store_->remove({"db/a.bak", "db/ab", "keep"});
  EXPECT_TRUE(store_->list("").empty());
  // The key can be written again.
  store_->put("db/a", "again");
  EXPECT_EQ(store_->get("db/a"), "again");
}

// Clause: list(prefix) returns every object whose key starts with prefix (a partial last
// component matches too), relative keys, in byte-wise key order, with sizes.
TEST_P(StorageContract, ListFiltersByPrefixInKeyOrder) {
  const std::vector<std::string> keys = {
      "db2/b.json", "db/20240102T000000Z.json", "db/20240101T000000Z.json",        "db%2Fx/a",
      "dbz",        "db/sub/deep/file",         "db-legacy-2024_01_01-DAILY.dump", "DB/upper",
      "é/accent"};
  for (const auto& key : keys) store_->put(key, key);
  // Byte order: upper case before lower case, "db%" < "db-" < "db/" < "db2" < "dbz", UTF-8
  // after ASCII.
  EXPECT_EQ(keys_of(store_->list("")),
            (std::vector<std::string>{"DB/upper", "db%2Fx/a", "db-legacy-2024_01_01-DAILY.dump",
                                      "db/20240101T000000Z.json", "db/20240102T000000Z.json",
                                      "db/sub/deep/file", "db2/b.json", "dbz", "é/accent"}));
  EXPECT_EQ(keys_of(store_->list("db/")),
            (std::vector<std::string>{"db/20240101T000000Z.json", "db/20240102T000000Z.json",
                                      "db/sub/deep/file"}));
  EXPECT_EQ(keys_of(store_->list("db/2024010")),
            (std::vector<std::string>{"db/20240101T000000Z.json", "db/20240102T000000Z.json"}));
  EXPECT_EQ(keys_of(store_->list("db2")), (std::vector<std::string>{"db2/b.json"}));
  EXPECT_EQ(keys_of(store_->list("db/sub/")), (std::vector<std::string>{"db/sub/deep/file"}));
  EXPECT_TRUE(store_->list("db/3").empty());
  EXPECT_TRUE(store_->list("Db").empty());  // case-sensitive
  for (const auto& object : store_->list("")) {
    EXPECT_EQ(object.size, object.key.size()) << object.key;
    EXPECT_TRUE(is_recent(object.last_modified)) << object.key;
  }
}

// Clause: list pages through the whole listing (more keys than one page of the backend).
TEST_P(StorageContract, ListPagesThroughTheWholeListing) {
  constexpr int kKeys = 23;
  const bool paged = backend_->force_page_size(5, 0);
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "page/k%03d", i);
    keys.emplace_back(name);
  }
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) store_->put(*it, *it);  // reverse order
  for (const char* outside : {"pag", "pagf", "other/k000"}) store_->put(outside, "x");
  const int before = backend_->requests("list_objects");
  auto listed = store_->list("page/");
  EXPECT_EQ(keys_of(listed), keys);
  if (paged) {
    EXPECT_GE(backend_->requests("list_objects") - before, (kKeys + 4) / 5)
        << "the listing did not follow the continuation token";
  }
  EXPECT_EQ(store_->list("").size(), keys.size() + 3);
}

// Clause: keys with characters that need encoding (space, %, +, =, &, unicode, ~, ...)
// round-trip through put, get, head, list (also as a listing prefix), writers and remove.
TEST_P(StorageContract, KeysThatNeedEncoding) {
  const std::vector<std::string> keys = {
      "with space/a b.json", "plus+sign",       "кириллица/бухгалтерия 2024.dump",
      "percent%41%2F",       "sym=&;,:@$!'()*", "tilde~dot.dash-under_score"};
  for (const auto& key : keys) {
    store_->put(key, "body of " + key);
    EXPECT_EQ(store_->get(key), "body of " + key) << key;
    auto info = store_->head(key);
    ASSERT_TRUE(info.has_value()) << key;
    EXPECT_EQ(info->key, key);
    EXPECT_EQ(info->size, ("body of " + key).size());
  }
  auto writer = store_->open_writer("with space/writer + 100%.bin");
  writer->write("streamed", 8);
  writer->commit();
  EXPECT_EQ(read_stream(*store_, "with space/writer + 100%.bin"), "streamed");

  std::vector<std::string> sorted = keys;
  sorted.push_back("with space/writer + 100%.bin");
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(keys_of(store_->list("")), sorted);
  // Prefixes with a space and Cyrillic go through the listing query too.
  EXPECT_EQ(keys_of(store_->list("кириллица/")),
            std::vector<std::string>{"кириллица/бухгалтерия 2024.dump"});
  EXPECT_EQ(store_->list("with space/").size(), 2u);
  EXPECT_EQ(store_->list("percent%").size(), 1u);
  store_->remove(sorted);
  EXPECT_TRUE(store_->list("").empty());
}

// Clause: a writer's bytes become visible only on commit(), whole; bytes_written counts
// them; the object reads back equal whatever the write sizes.
TEST_P(StorageContract, WriterMakesObjectVisibleOnlyOnCommit) {
  const std::uint64_t part = backend_->part_size_bytes();
  const std::string data = random_bytes(2 * part + 12345, 2);
  auto writer = store_->open_writer("db/20240103T040000Z.dump.zst", data.size());
  write_unevenly(*writer, data, part);
  EXPECT_EQ(writer->bytes_written(), data.size());
  expect_absent(*store_, "db/20240103T040000Z.dump.zst");
  writer->commit();
  EXPECT_EQ(writer->bytes_written(), data.size());
  writer.reset();

  auto info = store_->head("db/20240103T040000Z.dump.zst");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, data.size());
  auto listed = store_->list("db/");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].size, data.size());
  EXPECT_TRUE(read_stream(*store_, "db/20240103T040000Z.dump.zst") == data)
      << "streamed bytes differ";
  EXPECT_TRUE(store_->get("db/20240103T040000Z.dump.zst") == data) << "read bytes differ";
  expect_nothing_pending(*backend_, *store_);
}

// Clause: a writer over an existing key leaves the old object readable until commit, and
// an abandoned one leaves it untouched.
TEST_P(StorageContract, WriterReplacesAnExistingObjectOnlyOnCommit) {
  store_->put("db/manifest.json", "old");
  auto writer = store_->open_writer("db/manifest.json");
  writer->write("new contents", 12);
  EXPECT_EQ(store_->get("db/manifest.json"), "old");
  EXPECT_EQ(store_->head("db/manifest.json")->size, 3u);
  writer->commit();
  EXPECT_EQ(store_->get("db/manifest.json"), "new contents");
  {
    const std::string data = random_bytes(backend_->part_size_bytes() + 4097, 3);
    auto abandoned = store_->open_writer("db/manifest.json");
    abandoned->write(data.data(), data.size());
  }
  EXPECT_EQ(store_->get("db/manifest.json"), "new contents");
  EXPECT_EQ(keys_of(store_->list("")), std::vector<std::string>{"db/manifest.json"});
  expect_nothing_pending(*backend_, *store_);
}

// Clause: destroying a writer without commit() leaves nothing: no object under the key
// and nothing unfinished (S3: the multipart upload is aborted; local: no temp file).
TEST_P(StorageContract, UncommittedWriterLeavesNothing) {
  {
    auto small = store_->open_writer("db/small.dump");
    small->write("partial", 7);
  }
  expect_absent(*store_, "db/small.dump");
  expect_nothing_pending(*backend_, *store_);
  {
    const std::string data = random_bytes(3 * backend_->part_size_bytes() + 4097, 4);
    auto writer = store_->open_writer("db/half.dump.zst");
    write_unevenly(*writer, data, backend_->part_size_bytes());
    // The upload really started: there is something to clean up.
    EXPECT_EQ(keys_of(store_->list_uploads("")), std::set<std::string>{"db/half.dump.zst"});
    if (auto left = backend_->leftovers()) {
      EXPECT_FALSE(left->empty()) << "the backend holds no upload for a started writer";
    }
    EXPECT_TRUE(store_->list("").empty());
  }
  expect_absent(*store_, "db/half.dump.zst");
  expect_nothing_pending(*backend_, *store_);
}

// Clause: abort() ends the writer (idempotent); later write() and commit() throw
// StorageError, and nothing is visible or pending.
TEST_P(StorageContract, AbortIsIdempotentAndFinal) {
  const std::string data = random_bytes(2 * backend_->part_size_bytes() + 4097, 5);
  auto writer = store_->open_writer("db/aborted.dump");
  write_unevenly(*writer, data, backend_->part_size_bytes());
  EXPECT_EQ(store_->list_uploads("").size(), 1u);
  writer->abort();
  writer->abort();
  EXPECT_THROW(writer->write("x", 1), StorageError);
  EXPECT_THROW(writer->commit(), StorageError);
  expect_absent(*store_, "db/aborted.dump");
  expect_nothing_pending(*backend_, *store_);
  writer.reset();
  expect_nothing_pending(*backend_, *store_);
}

// Clause: list_uploads(prefix) lists every unfinished upload under prefix (relative key,
// an id, a recent start time; paging through them), never as objects; abort_upload ends
// one (again: not an error), and its writer's own abort then finds nothing to abort.
TEST_P(StorageContract, UnfinishedUploadsAreListedAndAbortable) {
  const bool paged = backend_->force_page_size(0, 2);
  const std::string data = random_bytes(backend_->part_size_bytes() + 4097, 6);
  std::vector<std::unique_ptr<ObjectWriter>> writers;
  for (const char* key : {"db/a.dump", "db/b.dump", "other/c.dump"}) {
    writers.push_back(store_->open_writer(key));
    writers.back()->write(data.data(), data.size());
  }
  const int before = backend_->requests("list_uploads");
  auto uploads = store_->list_uploads("");
  EXPECT_EQ(keys_of(uploads), (std::set<std::string>{"db/a.dump", "db/b.dump", "other/c.dump"}));
  if (paged) {
    EXPECT_GE(backend_->requests("list_uploads") - before, 2) << "no second page asked for";
  }
  for (const auto& upload : uploads) {
    EXPECT_FALSE(upload.upload_id.empty()) << upload.key;
    EXPECT_TRUE(is_recent(upload.initiated)) << upload.key;
  }
  EXPECT_TRUE(store_->list("").empty()) << "unfinished uploads are listed as objects";
  auto under_db = store_->list_uploads("db/");
  EXPECT_EQ(keys_of(under_db), (std::set<std::string>{"db/a.dump", "db/b.dump"}));
  EXPECT_EQ(keys_of(store_->list_uploads("db/b")), std::set<std::string>{"db/b.dump"});
  EXPECT_TRUE(store_->list_uploads("nothing/").empty());

  auto a = std::find_if(under_db.begin(), under_db.end(),
                        [](const auto& u) { return u.key == "db/a.dump"; });
  ASSERT_NE(a, under_db.end());
  store_->abort_upload(*a);
  EXPECT_EQ(keys_of(store_->list_uploads("")),
            (std::set<std::string>{"db/b.dump", "other/c.dump"}));
  store_->abort_upload(*a);  // already gone
  writers[0].reset();        // its own abort finds nothing to abort: not an error
  writers.clear();
  expect_nothing_pending(*backend_, *store_);
  EXPECT_TRUE(store_->list("").empty());
}

// Clause: keys in and out are relative to the store's prefix: the driver adds and strips
// it, and objects beside the prefix (even sharing its first letters) are not the store's.
TEST_P(StorageContract, KeysAreRelativeToThePrefix) {
  auto parent = backend_->open_parent();
  if (!parent)
    GTEST_SKIP() << "this backend has no prefixes (the in-memory fake stores keys as given)";
  store_->put("db/x", "1");
  parent->put("pgx/a", "2");
  parent->put("other/b", "3");
  EXPECT_EQ(keys_of(parent->list("")), (std::vector<std::string>{"other/b", "pg/db/x", "pgx/a"}));
  EXPECT_EQ(keys_of(store_->list("")), std::vector<std::string>{"db/x"});
  EXPECT_EQ(parent->get("pg/db/x"), "1");
  EXPECT_EQ(store_->head("db/x")->key, "db/x");
  EXPECT_FALSE(store_->head("pgx/a").has_value());

  const std::string data = random_bytes(backend_->part_size_bytes() + 4097, 7);
  auto writer = store_->open_writer("db/w.dump");
  writer->write(data.data(), data.size());
  EXPECT_EQ(keys_of(store_->list_uploads("")), std::set<std::string>{"db/w.dump"});
  EXPECT_EQ(keys_of(parent->list_uploads("")), std::set<std::string>{"pg/db/w.dump"});
  writer.reset();
  parent->remove({"pg/db/x"});
  EXPECT_TRUE(store_->list("").empty());
  EXPECT_EQ(keys_of(parent->list("")), (std::vector<std::string>{"other/b", "pgx/a"}));
  expect_nothing_pending(*backend_, *parent);
}

// Clause: describe() names the location for messages and never holds a secret.
TEST_P(StorageContract, DescribeNamesTheLocationWithoutSecrets) {
  const std::string text = store_->describe();
  EXPECT_FALSE(text.empty());
  EXPECT_NE(text.find(backend_->location()), std::string::npos) << text;
  for (const auto& secret : backend_->secrets()) {
    ASSERT_FALSE(secret.empty());
    EXPECT_EQ(text.find(secret), std::string::npos) << "describe() shows a secret: " << text;
  }
}

}  // namespace
}  // namespace bb::contract
