// Tests for storage/local beyond the storage contract suite (tests/contract/, which
// covers round trips, missing keys, listing, writers and uploads on this driver too):
// the files on disk, read chunk sizes, crash leftovers, key validation, a full disk (tmpfs).
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "storage/local.h"
#include "util/error.h"

namespace bb {
namespace {

namespace fs = std::filesystem;

class LocalStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("bb_local_test_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    storage_ = make_local_storage(root_.string(), "pg/");
  }
  void TearDown() override { fs::remove_all(root_); }

  // Every file under the root, relative, sorted.
  std::vector<std::string> files_on_disk() const {
    std::vector<std::string> files;
    if (!fs::exists(root_)) return files;
    for (const auto& entry : fs::recursive_directory_iterator(root_)) {
      if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), root_).string());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  fs::path root_;
  std::unique_ptr<Storage> storage_;
};

std::vector<std::string> keys_of(const std::vector<ObjectInfo>& objects) {
  std::vector<std::string> keys;
  for (const auto& o : objects) keys.push_back(o.key);
  return keys;
}

TEST_F(LocalStorageTest, PutGetHeadRemove) {
  EXPECT_FALSE(storage_->head("db/a.json").has_value());
  storage_->put("db/a.json", "{\"x\":1}");
  EXPECT_EQ(storage_->get("db/a.json"), "{\"x\":1}");
  auto info = storage_->head("db/a.json");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->key, "db/a.json");
  EXPECT_EQ(info->size, 7u);
  EXPECT_LT(std::chrono::system_clock::now() - info->last_modified, std::chrono::minutes(1));
  EXPECT_EQ(files_on_disk(), std::vector<std::string>{"pg/db/a.json"});
  storage_->remove({"db/a.json", "db/absent.json", "other/absent"});
  EXPECT_FALSE(storage_->head("db/a.json").has_value());
  EXPECT_FALSE(fs::exists(root_ / "pg" / "db"));  // empty directory pruned
  EXPECT_TRUE(fs::exists(root_ / "pg"));
}

TEST_F(LocalStorageTest, NeverCreatedRootListsNothing) {
  EXPECT_TRUE(make_local_storage((root_ / "never").string(), "")->list("").empty());
  EXPECT_TRUE(make_local_storage((root_ / "never").string(), "")->list_uploads("").empty());
  EXPECT_FALSE(fs::exists(root_ / "never"));
}

TEST_F(LocalStorageTest, StreamingWriteAndReadInChunks) {
  std::string data;
  for (int i = 0; data.size() < (5u << 20) + 123; ++i) data += std::to_string(i) + ",";
  auto writer = storage_->open_writer("db/20240103T040000Z.dump.zst");
  for (std::size_t pos = 0; pos < data.size(); pos += 70001) {
    std::size_t n = std::min<std::size_t>(70001, data.size() - pos);
    writer->write(data.data() + pos, n);
  }
  writer->write(data.data(), 0);
  EXPECT_EQ(writer->bytes_written(), data.size());
  EXPECT_FALSE(storage_->head("db/20240103T040000Z.dump.zst").has_value());  // not yet visible
  writer->commit();
  EXPECT_EQ(storage_->head("db/20240103T040000Z.dump.zst")->size, data.size());
  std::string back;
  std::size_t max_chunk = 0;
  storage_->get_stream("db/20240103T040000Z.dump.zst", [&](const char* p, std::size_t n) {
    back.append(p, n);
    max_chunk = std::max(max_chunk, n);
  });
  EXPECT_EQ(back, data);
  EXPECT_EQ(max_chunk, std::size_t{1} << 20);
  EXPECT_EQ(storage_->get("db/20240103T040000Z.dump.zst"), data);
  // Large writes that bypass the buffer mixed with small ones.
  auto mixed = storage_->open_writer("db/mixed");
  mixed->write("ab", 2);
  mixed->write(data.data(), data.size());
  mixed->write("cd", 2);
  mixed->commit();
  EXPECT_EQ(storage_->get("db/mixed"), "ab" + data + "cd");
}

TEST_F(LocalStorageTest, CrashLeftoversAreHiddenListedAndAbortable) {
  storage_->put("db/keep", "k");
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A "crash": the writer's destructor never runs.
    auto writer = storage_->open_writer("db/20240101T000000Z.dump.zst").release();
    writer->write("half", 4);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_EQ(keys_of(storage_->list("")), std::vector<std::string>{"db/keep"});
  auto uploads = storage_->list_uploads("db/");
  ASSERT_EQ(uploads.size(), 1u);
  EXPECT_EQ(uploads[0].key, "db/20240101T000000Z.dump.zst");
  EXPECT_NE(uploads[0].upload_id.find(".partial-" + std::to_string(child) + "-"), std::string::npos)
      << uploads[0].upload_id;
  EXPECT_LT(std::chrono::system_clock::now() - uploads[0].initiated, std::chrono::minutes(1));
  EXPECT_TRUE(storage_->list_uploads("other/").empty());
  storage_->abort_upload(uploads[0]);
  EXPECT_TRUE(storage_->list_uploads("").empty());
  EXPECT_EQ(files_on_disk(), std::vector<std::string>{"pg/db/keep"});
  // Aborting again (already gone) is fine; aborting a real object is refused.
  storage_->abort_upload(uploads[0]);
  EXPECT_THROW(storage_->abort_upload({"db/keep", "db/keep", {}}), StorageError);
  EXPECT_EQ(storage_->get("db/keep"), "k");
}

TEST_F(LocalStorageTest, PrefixHandling) {
  auto no_prefix = make_local_storage(root_.string(), "");
  no_prefix->put("a/b", "1");
  EXPECT_EQ(files_on_disk(), std::vector<std::string>{"a/b"});
  auto without_slash = make_local_storage(root_.string() + "/", "nested/pg");
  without_slash->put("k", "2");
  EXPECT_TRUE(fs::exists(root_ / "nested" / "pg" / "k"));
  EXPECT_NE(without_slash->describe().find("nested/pg/"), std::string::npos);
  EXPECT_THROW(make_local_storage(root_.string(), "../escape/"), StorageError);
  EXPECT_THROW(make_local_storage(root_.string(), "/abs/"), StorageError);
  EXPECT_THROW(make_local_storage("", "pg/"), StorageError);
}

TEST_F(LocalStorageTest, RejectsBadKeys) {
  for (const char* key : {"", "/etc/passwd", "../x", "db/../../x", "db/..", "./x", "db//x", "db/",
                          "db/x.partial-1-2"}) {
    EXPECT_THROW(storage_->put(key, "x"), StorageError) << key;
    EXPECT_THROW(storage_->head(key), StorageError) << key;
    EXPECT_THROW(storage_->get(key), StorageError) << key;
    EXPECT_THROW(storage_->remove({key}), StorageError) << key;
  }
  EXPECT_THROW(storage_->list("../"), StorageError);
  EXPECT_THROW(storage_->list("/"), StorageError);
  EXPECT_THROW(storage_->abort_upload({"x", "../x.partial-1-2", {}}), StorageError);
  try {
    storage_->put("db/../../etc/x", "x");
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("\"..\""), std::string::npos) << e.what();
  }
  EXPECT_TRUE(files_on_disk().empty());
}

TEST_F(LocalStorageTest, ErrorsNamePathReasonAndFix) {
  // A file where a directory must go.
  std::error_code ec;
  fs::create_directories(root_ / "pg", ec);
  std::ofstream(root_ / "pg" / "blocker") << "file";
  try {
    storage_->put("blocker/x", "1");
    FAIL() << "no error";
  } catch (const StorageError& e) {
    std::string text = e.what();
    EXPECT_NE(text.find((root_ / "pg" / "blocker").string()), std::string::npos) << text;
    EXPECT_NE(text.find("Not a directory"), std::string::npos) << text;
    EXPECT_NE(text.find("check storage.path"), std::string::npos) << text;
  }
}

// Mounts a 1 MiB tmpfs (needs root; skipped otherwise).
class FullDiskTest : public LocalStorageTest {
 protected:
  void SetUp() override {
    LocalStorageTest::SetUp();
    fs::create_directories(root_);
    if (::mount("tmpfs", root_.c_str(), "tmpfs", 0, "size=1m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs (not root?): " << std::strerror(errno);
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(root_.c_str(), MNT_DETACH);
    LocalStorageTest::TearDown();
  }
  bool mounted_ = false;
};

TEST_F(FullDiskTest, EnospcIsStorageErrorAndLeavesNoFinalFile) {
  std::string data(3 << 20, 'z');
  // Big writes fail inside write().
  {
    auto writer = storage_->open_writer("db/big.dump.zst");
    try {
      writer->write(data.data(), data.size());
      writer->commit();
      FAIL() << "no error on a full disk";
    } catch (const StorageError& e) {
      std::string text = e.what();
      EXPECT_NE(text.find("No space left on device"), std::string::npos) << text;
      EXPECT_NE(text.find("free space"), std::string::npos) << text;
      EXPECT_NE(text.find("big.dump.zst"), std::string::npos) << text;
    }
  }
  EXPECT_FALSE(storage_->head("db/big.dump.zst").has_value());
  EXPECT_TRUE(storage_->list_uploads("").empty());
  // Small buffered writes fail at commit at the latest.
  {
    auto writer = storage_->open_writer("db/small-pieces");
    EXPECT_THROW(
        {
          for (int i = 0; i < 64; ++i) writer->write(data.data(), 64 * 1024);
          writer->commit();
        },
        StorageError);
  }
  EXPECT_FALSE(storage_->head("db/small-pieces").has_value());
  EXPECT_TRUE(storage_->list_uploads("").empty());
  // The disk is usable again afterwards.
  storage_->put("db/manifest.json", "{}");
  EXPECT_EQ(storage_->get("db/manifest.json"), "{}");
}

}  // namespace
}  // namespace bb
