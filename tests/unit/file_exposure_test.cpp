// FileExposure: permission bits of secret files, symbolic links into places every user
// may write. Real temporary files with chmod, no mocks.
#include "util/file_exposure.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace bb {
namespace {

class FileExposureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/bb-exposure-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;  // mode 0700: nobody else may write here
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string file(const std::string& name, mode_t mode) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << "secret\n";
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }
  std::string folder(const std::string& name, mode_t mode) {
    std::string path = dir_ + "/" + name;
    EXPECT_EQ(::mkdir(path.c_str(), 0700), 0);
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }
  std::string link(const std::string& name, const std::string& target) {
    std::string path = dir_ + "/" + name;
    EXPECT_EQ(::symlink(target.c_str(), path.c_str()), 0);
    return path;
  }

  std::string dir_;
};

TEST_F(FileExposureTest, PrivateAndGroupReadableFilesAreNotWorldReadable) {
  for (mode_t mode : {0600, 0640, 0400, 0660}) {
    auto e = inspect_file_exposure(file("f" + std::to_string(mode), mode));
    ASSERT_TRUE(e);
    EXPECT_FALSE(e->world_readable) << std::oct << mode;
    EXPECT_EQ(e->mode, static_cast<unsigned>(mode));
    EXPECT_TRUE(e->link_target.empty());
    EXPECT_TRUE(e->writable_by_anyone.empty());
  }
}

TEST_F(FileExposureTest, WorldReadableFileIsReportedWithItsMode) {
  auto e = inspect_file_exposure(file("secret", 0644));
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->world_readable);
  EXPECT_EQ(format_mode(e->mode), "0644");
  EXPECT_TRUE(e->writable_by_anyone.empty());  // a plain file: readable is all it tells
}

TEST_F(FileExposureTest, MissingFileAndDanglingLinkGiveNothing) {
  EXPECT_FALSE(inspect_file_exposure(dir_ + "/missing"));
  EXPECT_FALSE(inspect_file_exposure(link("dangling", dir_ + "/missing")));
}

TEST_F(FileExposureTest, LinkToAPrivateFileInAPrivateFolderIsFine) {
  std::string target = file("secret", 0600);
  auto e = inspect_file_exposure(link("via-link", target));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->link_target, std::filesystem::canonical(target).string());
  EXPECT_TRUE(e->writable_by_anyone.empty());
  EXPECT_FALSE(e->world_readable);
}

TEST_F(FileExposureTest, LinkIntoAWorldWritableFolderIsUnsafe) {
  std::string open_dir = folder("open", 0777);
  std::string target = open_dir + "/secret";
  std::ofstream(target) << "x";
  ::chmod(target.c_str(), 0600);
  auto e = inspect_file_exposure(link("via-link", target));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->writable_by_anyone, std::filesystem::canonical(open_dir).string());
  EXPECT_EQ(format_mode(e->writable_mode), "0777");
}

TEST_F(FileExposureTest, LinkIntoAStickyWorldWritableFolderLikeTmpIsUnsafeToo) {
  // Sticky (/tmp) stops others deleting the file, not planting one before it exists or
  // a cleaner removing it: a secret does not belong there.
  std::string sticky = folder("tmp-like", 01777);
  std::string target = sticky + "/secret";
  std::ofstream(target) << "x";
  ::chmod(target.c_str(), 0600);
  auto e = inspect_file_exposure(link("via-link", target));
  ASSERT_TRUE(e);
  EXPECT_EQ(format_mode(e->writable_mode), "1777");
  EXPECT_FALSE(e->writable_by_anyone.empty());
}

TEST_F(FileExposureTest, LinkToAWorldWritableFileIsUnsafe) {
  std::string target = file("secret", 0666);
  auto e = inspect_file_exposure(link("via-link", target));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->writable_by_anyone, std::filesystem::canonical(target).string());
  EXPECT_TRUE(e->world_readable);
}

TEST_F(FileExposureTest, UnsafeHopInAChainOfLinksIsFound) {
  std::string target = file("secret", 0600);
  std::string open_dir = folder("open", 0777);
  std::string middle = open_dir + "/hop";
  ASSERT_EQ(::symlink(target.c_str(), middle.c_str()), 0);
  auto e = inspect_file_exposure(link("first", middle));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->writable_by_anyone, std::filesystem::canonical(open_dir).string());
  EXPECT_EQ(e->link_target, std::filesystem::canonical(target).string());
}

TEST_F(FileExposureTest, RelativeLinkIsResolvedFromTheLinksFolder) {
  std::string open_dir = folder("open", 0777);
  std::ofstream(open_dir + "/secret") << "x";
  auto e = inspect_file_exposure(link("relative", "open/secret"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->writable_by_anyone, std::filesystem::canonical(open_dir).string());
}

TEST(FormatModeTest, WritesFourOctalDigits) {
  EXPECT_EQ(format_mode(0644), "0644");
  EXPECT_EQ(format_mode(0600), "0600");
  EXPECT_EQ(format_mode(01777), "1777");
  EXPECT_EQ(format_mode(0100644), "0644");  // file type bits are not permissions
}

}  // namespace
}  // namespace bb
