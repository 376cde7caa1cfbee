// Config parsing: defaults, every key kind, and every error names file:line and the key.
#include "config/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "crypto/password.h"
#include "util/error.h"

namespace bb {
namespace {

std::map<std::string, std::string> g_env;
std::optional<std::string> fake_env(const char* name) {
  auto it = g_env.find(name);
  if (it == g_env.end()) return std::nullopt;
  return it->second;
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { g_env.clear(); }
  Config parse(const std::string& text) { return parse_config(text, "bb.toml", fake_env); }
  // The error message of a config that must be rejected.
  std::string error_of(const std::string& text) {
    try {
      parse(text);
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.exit_code(), 2);
      return e.what();
    }
    ADD_FAILURE() << "config was accepted:\n" << text;
    return "";
  }
};

TEST_F(ConfigTest, EmptyFileGivesDesignDefaults) {
  Config c = parse("");
  EXPECT_EQ(c.storage.type, StorageType::kLocal);
  EXPECT_EQ(c.storage.path, "./backups");
  EXPECT_EQ(c.storage.part_size_bytes, 16u << 20);
  EXPECT_EQ(c.retention.daily, 4);
  EXPECT_EQ(c.retention.weekly, 4);
  EXPECT_EQ(c.retention.monthly, 4);
  EXPECT_EQ(c.retention.yearly, 999);
  EXPECT_EQ(c.restore.target, "{db}_archive");
  EXPECT_EQ(c.restore.keep_archives, 1);
  EXPECT_FALSE(c.postgres.host.has_value());
  EXPECT_EQ(c.backup.lock_wait_timeout, std::chrono::minutes(15));
}

TEST_F(ConfigTest, FullReferenceConfigParses) {
  Config c = parse(R"(
[postgres]
host = "/var/run/postgresql"
port = 5433
user = "backup"
bin_dir = "/usr/lib/postgresql/15/bin"

[storage]
type = "s3"
endpoint = "https://s3.timeweb.cloud"
region = "ru-1"
bucket = "339e534d-my_test_bucket"
prefix = "pg"
access_key_id = "AKIA"
secret_access_key = "s3cr3t-value"
path_style = true
part_size = "32MiB"
upload_concurrency = 3
timeout = "90s"
legacy = false

[backup]
all_databases = true
exclude = ["scratch"]
compression_level = 5
parallel = 2
schedule = "0 4 * * *"
timezone = "Europe/Moscow"
catch_up = "6h"
verify_after_backup = "checksum"

[retention]
daily = 7

[[databases]]
name = "buh2_db"

[[databases]]
name = "zup3"
retention = { weekly = 10 }
schedule = "0 4 * * MON"

[restore]
target = "{db}_copy"
keep_archives = 2
jobs = 3
)");
  EXPECT_EQ(c.postgres.host, "/var/run/postgresql");
  EXPECT_EQ(c.postgres.port, 5433);
  EXPECT_EQ(c.storage.type, StorageType::kS3);
  EXPECT_EQ(c.storage.prefix, "pg/");  // a trailing slash is added
  EXPECT_EQ(c.storage.secret_access_key.value, "s3cr3t-value");
  EXPECT_EQ(c.storage.part_size_bytes, 32u << 20);
  EXPECT_EQ(c.storage.timeout, std::chrono::seconds(90));
  EXPECT_EQ(c.storage.path_style, true);
  EXPECT_FALSE(c.storage.legacy);
  EXPECT_TRUE(c.backup.all_databases);
  EXPECT_EQ(c.backup.exclude, std::vector<std::string>{"scratch"});
  EXPECT_EQ(c.backup.catch_up, std::chrono::hours(6));
  ASSERT_EQ(c.databases.size(), 2u);
  // Only what a database names is overridden.
  RetentionCounts zup = c.retention_for("zup3");
  EXPECT_EQ(zup.daily, 7);
  EXPECT_EQ(zup.weekly, 10);
  EXPECT_EQ(zup.monthly, 4);
  EXPECT_EQ(zup.yearly, 999);
  EXPECT_EQ(c.retention_for("buh2_db").weekly, 4);
  EXPECT_EQ(c.restore.keep_archives, 2);
}

TEST_F(ConfigTest, UnknownKeyNamesFileLineAndKey) {
  std::string e = error_of("[storage]\ntype = \"local\"\npaht = \"/x\"\n");
  EXPECT_NE(e.find("bb.toml:3"), std::string::npos) << e;
  EXPECT_NE(e.find("storage.paht"), std::string::npos) << e;
}

// PostgreSQL names cannot hold a NUL byte; TOML can write one ("\u0000"), and such a name
// would reach storage keys and S3 listings (whose XML cannot carry it).
TEST_F(ConfigTest, DatabaseNameWithNulIsAnError) {
  std::string e = error_of("[[databases]]\nname = \"sales\\u0000x\"\n");
  EXPECT_NE(e.find("bb.toml:2"), std::string::npos) << e;
  EXPECT_NE(e.find("databases.name"), std::string::npos) << e;
  EXPECT_NE(e.find("NUL"), std::string::npos) << e;
}

TEST_F(ConfigTest, MisspelledRetentionKindIsAnError) {
  std::string e = error_of("[retention]\ndaily = 3\nDILY = 4\n");
  EXPECT_NE(e.find("bb.toml:3"), std::string::npos) << e;
  EXPECT_NE(e.find("retention.DILY"), std::string::npos) << e;
  EXPECT_NE(e.find("daily, weekly, monthly, yearly"), std::string::npos) << e;
}

TEST_F(ConfigTest, NegativeCountIsAnError) {
  std::string e = error_of("[retention]\n\nweekly = -1\n");
  EXPECT_NE(e.find("bb.toml:3"), std::string::npos) << e;
  EXPECT_NE(e.find("retention.weekly"), std::string::npos) << e;
}

TEST_F(ConfigTest, AllRetentionZeroIsRejected) {
  std::string e = error_of("[retention]\ndaily = 0\nweekly = 0\nmonthly = 0\nyearly = 0\n");
  EXPECT_NE(e.find("delete every backup"), std::string::npos) << e;
  std::string per_db = error_of(
      "[retention]\ndaily = 0\nweekly = 0\nmonthly = 0\nyearly = 1\n"
      "[[databases]]\nname = \"x\"\nretention = { yearly = 0 }\n");
  EXPECT_NE(per_db.find("\"x\""), std::string::npos) << per_db;
}

TEST_F(ConfigTest, WrongTypeNamesTheKey) {
  std::string e = error_of("[postgres]\nport = \"5432\"\n");
  EXPECT_NE(e.find("bb.toml:2"), std::string::npos) << e;
  EXPECT_NE(e.find("postgres.port"), std::string::npos) << e;
  EXPECT_NE(e.find("whole number"), std::string::npos) << e;
}

TEST_F(ConfigTest, S3WithoutBucketIsAnError) {
  g_env["AWS_ACCESS_KEY_ID"] = "a";
  g_env["AWS_SECRET_ACCESS_KEY"] = "b";
  std::string e = error_of("[storage]\ntype = \"s3\"\nendpoint = \"http://127.0.0.1:9000\"\n");
  EXPECT_NE(e.find("storage.bucket"), std::string::npos) << e;
  EXPECT_NE(e.find("bb.toml:1"), std::string::npos) << e;
}

TEST_F(ConfigTest, SyntaxErrorHasLine) {
  std::string e = error_of("[storage]\ntype = local\n");
  EXPECT_NE(e.find("bb.toml:2"), std::string::npos) << e;
}

TEST_F(ConfigTest, UnknownSectionAndStorageType) {
  EXPECT_NE(error_of("[strage]\n").find("unknown key strage"), std::string::npos);
  EXPECT_NE(error_of("[storage]\ntype = \"ftp\"\n").find("\"s3\" or \"local\""), std::string::npos);
}

TEST_F(ConfigTest, PartSizeOutsideS3LimitsIsRejected) {
  EXPECT_NE(error_of("[storage]\npart_size = \"1MiB\"\n").find("5MiB"), std::string::npos);
}

TEST_F(ConfigTest, BandwidthCapsAreRatesAndRestoreMayCreateRoles) {
  Config c = parse("[storage]\nmax_upload_rate = \"20MB/s\"\nmax_download_rate = \"500KB/s\"\n"
                   "[restore]\ncreate_roles = true\n");
  EXPECT_EQ(c.storage.max_upload_rate, 20u << 20);
  EXPECT_EQ(c.storage.max_download_rate, 500u << 10);
  EXPECT_TRUE(c.restore.create_roles);
  EXPECT_EQ(parse("").storage.max_upload_rate, 0u);
  EXPECT_NE(error_of("[storage]\nmax_upload_rate = \"20MB\"\n").find("\"20MB/s\""), std::string::npos);
  EXPECT_NE(error_of("[storage]\nmax_download_rate = \"fast/s\"\n").find("max_download_rate"), std::string::npos);
}

TEST_F(ConfigTest, DuplicateDatabaseIsRejected) {
  EXPECT_NE(error_of("[[databases]]\nname = \"a\"\n[[databases]]\nname = \"a\"\n").find("twice"), std::string::npos);
}

TEST_F(ConfigTest, SecretsComeFromEnvironmentWhenNotInFile) {
  g_env["AWS_ACCESS_KEY_ID"] = "env-key";
  g_env["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  g_env["PGPASSWORD"] = "env-pg";
  Config c = parse("[storage]\ntype = \"s3\"\nendpoint = \"http://h\"\nbucket = \"b\"\n");
  EXPECT_EQ(c.storage.access_key_id.value, "env-key");
  EXPECT_EQ(c.storage.secret_access_key.value, "env-secret");
  EXPECT_EQ(c.storage.secret_access_key.origin, "AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(c.postgres.password.value, "env-pg");
}

TEST_F(ConfigTest, SecretFromFileWinsOverEnvironmentAndIsTrimmed) {
  g_env["PGPASSWORD"] = "env-pg";
  std::string path = ::testing::TempDir() + "/pgpass-test";
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("from-file\n", f);
  std::fclose(f);
  Config c = parse("[postgres]\npassword_file = \"" + path + "\"\n");
  EXPECT_EQ(c.postgres.password.value, "from-file");
}

TEST_F(ConfigTest, MissingSecretFileIsAConfigErrorWithoutTheSecret) {
  std::string e = error_of("[postgres]\npassword_file = \"/nonexistent/pw\"\n");
  EXPECT_NE(e.find("/nonexistent/pw"), std::string::npos) << e;
}

TEST_F(ConfigTest, BothInlineAndFileSecretIsAnError) {
  EXPECT_NE(error_of("[postgres]\npassword = \"x\"\npassword_file = \"/y\"\n").find("both"), std::string::npos);
}

TEST_F(ConfigTest, ProviderPresetsFillEndpointRegionAndAddressing) {
  g_env["AWS_ACCESS_KEY_ID"] = "a";
  g_env["AWS_SECRET_ACCESS_KEY"] = "b";
  Config tw = parse("[storage]\ntype = \"s3\"\nprovider = \"timeweb\"\nbucket = \"339e534d-my_test_bucket\"\n");
  EXPECT_EQ(tw.storage.endpoint, "https://s3.timeweb.cloud");
  EXPECT_EQ(tw.storage.region, "ru-1");
  EXPECT_EQ(tw.storage.path_style, true);
  Config ya = parse("[storage]\ntype = \"s3\"\nprovider = \"yandex\"\nbucket = \"b\"\n");
  EXPECT_EQ(ya.storage.endpoint, "https://storage.yandexcloud.net");
  EXPECT_EQ(ya.storage.region, "ru-central1");
  EXPECT_EQ(ya.storage.path_style, false);
  Config aws = parse("[storage]\ntype = \"s3\"\nprovider = \"aws\"\nregion = \"eu-central-1\"\nbucket = \"b\"\n");
  EXPECT_EQ(aws.storage.endpoint, "https://s3.eu-central-1.amazonaws.com");
  EXPECT_EQ(aws.storage.path_style, false);
  // Explicit keys win over the preset (older Timeweb accounts).
  Config old = parse("[storage]\ntype = \"s3\"\nprovider = \"timeweb\"\nendpoint = \"https://s3.timeweb.com\"\n"
                     "bucket = \"b\"\npath_style = false\n");
  EXPECT_EQ(old.storage.endpoint, "https://s3.timeweb.com");
  EXPECT_EQ(old.storage.path_style, false);
  EXPECT_NE(error_of("[storage]\ntype = \"s3\"\nprovider = \"aws\"\nbucket = \"b\"\n").find("needs region"),
            std::string::npos);
  EXPECT_NE(error_of("[storage]\ntype = \"s3\"\nprovider = \"minio\"\nbucket = \"b\"\n").find("needs endpoint"),
            std::string::npos);
  std::string e = error_of("[storage]\ntype = \"s3\"\nprovider = \"dropbox\"\nbucket = \"b\"\n");
  EXPECT_NE(e.find("bb.toml:3"), std::string::npos) << e;
}

TEST_F(ConfigTest, BadScheduleAndTimezoneAreConfigErrors) {
  std::string e = error_of("[backup]\nschedule = \"0 4 * * MOM\"\n");
  EXPECT_NE(e.find("bb.toml:2"), std::string::npos) << e;
  EXPECT_NE(e.find("MOM"), std::string::npos) << e;
  EXPECT_NE(error_of("[[databases]]\nname = \"x\"\nschedule = \"0 0 30 2 *\"\n").find("bb.toml:3"), std::string::npos);
  EXPECT_NE(error_of("[backup]\ntimezone = \"Mars/Olympus\"\n").find("bb.toml:2"), std::string::npos);
}

TEST_F(ConfigTest, TheShippedExampleConfigParses) {
  // backupbuddy.example.toml is what the package installs as /etc/backupbuddy/backupbuddy.toml.
  Config c = load_config(std::string(BB_SOURCE_DIR) + "/backupbuddy.example.toml", fake_env);
  EXPECT_EQ(c.storage.type, StorageType::kLocal);
  ASSERT_EQ(c.databases.size(), 2u);
  EXPECT_EQ(c.databases[1].schedule, "0 4 * * MON");
  EXPECT_EQ(c.retention_for("zup3").weekly, 10);
}

TEST(ConfigUnits, Sizes) {
  EXPECT_EQ(parse_size("16MiB"), 16u << 20);
  EXPECT_EQ(parse_size("1GiB"), 1u << 30);
  EXPECT_EQ(parse_size("512KiB"), 512u << 10);
  EXPECT_EQ(parse_size("1000"), 1000u);
  EXPECT_THROW(parse_size("16 parsecs"), std::invalid_argument);
  EXPECT_THROW(parse_size("MiB"), std::invalid_argument);
  EXPECT_THROW(parse_size("0"), std::invalid_argument);
}

TEST(ConfigUnits, Durations) {
  EXPECT_EQ(parse_duration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(parse_duration("30s"), std::chrono::seconds(30));
  EXPECT_EQ(parse_duration("5m"), std::chrono::minutes(5));
  EXPECT_EQ(parse_duration("6h"), std::chrono::hours(6));
  EXPECT_EQ(parse_duration("1d"), std::chrono::hours(24));
  EXPECT_THROW(parse_duration("30"), std::invalid_argument);
  EXPECT_THROW(parse_duration("5 weeks"), std::invalid_argument);
}

// ---- storage.prefix: never a way out of its folder --------------------------------------

TEST_F(ConfigTest, PrefixWithDotSegmentsEmptySegmentsOrLeadingSlashIsRejected) {
  for (const char* prefix : {"a/../b/", "../a/", "..", "./pg/", "pg/.", "pg/./x/", "a//b/", "//", "/pg/", "/",
                             "pg/.."}) {
    std::string text = std::string("[storage]\npath = \"/srv/b\"\nprefix = \"") + prefix + "\"\n";
    std::string e = error_of(text);
    EXPECT_NE(e.find("bb.toml:3: storage.prefix:"), std::string::npos) << prefix << ": " << e;
    EXPECT_NE(e.find("\"pg/\""), std::string::npos) << prefix << ": the fix names a plain prefix: " << e;
  }
}

TEST_F(ConfigTest, PlainPrefixesStayValidAndGetATrailingSlash) {
  std::map<std::string, std::string> cases = {
      {"", ""}, {"pg", "pg/"}, {"pg/", "pg/"}, {"a/b/", "a/b/"}, {"a/b", "a/b/"},
      {"..pg/", "..pg/"}, {"pg.../v1.2/", "pg.../v1.2/"}};  // dots inside a name lead nowhere
  for (const auto& [given, stored] : cases) {
    Config c = parse("[storage]\nprefix = \"" + given + "\"\n");
    EXPECT_EQ(c.storage.prefix, stored) << given;
  }
}

TEST_F(ConfigTest, PrefixIsCheckedForS3Too) {
  g_env["AWS_ACCESS_KEY_ID"] = "a";
  g_env["AWS_SECRET_ACCESS_KEY"] = "b";
  std::string e = error_of("[storage]\ntype = \"s3\"\nendpoint = \"http://h\"\nbucket = \"b\"\nprefix = \"../a/\"\n");
  EXPECT_NE(e.find("bb.toml:5: storage.prefix:"), std::string::npos) << e;
}

// ---- secrets that other users could read or swap --------------------------------------

class SecretFileTest : public ConfigTest {
 protected:
  void SetUp() override {
    ConfigTest::SetUp();
    std::string pattern = ::testing::TempDir() + "/bb-secrets-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;  // 0700
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text, mode_t mode) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }
  static bool has(const std::vector<std::string>& lines, const std::string& needle) {
    for (const auto& l : lines)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }
  std::string dir_;
};

TEST_F(SecretFileTest, WorldReadableSecretFileIsAWarningNamingKeyFileModeAndFix) {
  std::string path = write("s3secret", "the-secret\n", 0644);
  g_env["AWS_ACCESS_KEY_ID"] = "a";
  Config c = parse("[storage]\ntype = \"s3\"\nendpoint = \"http://h\"\nbucket = \"b\"\nsecret_access_key_file = \"" +
                   path + "\"\n");
  EXPECT_EQ(c.storage.secret_access_key.value, "the-secret");  // still used
  ASSERT_EQ(c.warnings.size(), 1u);
  const std::string& w = c.warnings[0];
  EXPECT_NE(w.find("storage.secret_access_key_file " + path + " is readable by every user (mode 0644)"),
            std::string::npos) << w;
  EXPECT_NE(w.find("chmod 640 " + path), std::string::npos) << w;
  EXPECT_NE(w.find("root:postgres"), std::string::npos) << w;
  EXPECT_EQ(w.find("the-secret"), std::string::npos) << w;
}

TEST_F(SecretFileTest, PrivateOrGroupReadableSecretFilesGiveNoWarning) {
  std::string pg = write("pgpass", "pw\n", 0640);
  std::string token = write("token", "123:abc\n", 0600);
  std::string key = write("age.key", "AGE-SECRET-KEY-1\n", 0400);
  Config c = parse("[postgres]\npassword_file = \"" + pg + "\"\n[telegram]\ntoken_file = \"" + token +
                   "\"\n[encryption]\nidentity_file = \"" + key + "\"\n");
  EXPECT_TRUE(c.warnings.empty()) << c.warnings[0];
  EXPECT_TRUE(c.inline_secrets.empty());
}

TEST_F(SecretFileTest, EverySecretFileKeyIsInspected) {
  std::string pg = write("pgpass", "pw\n", 0644);
  std::string token = write("token", "123:abc\n", 0604);
  std::string key = write("age.key", "AGE-SECRET-KEY-1\n", 0644);
  std::string pass = write("age.pass", "passphrase\n", 0644);
  Config c = parse("[postgres]\npassword_file = \"" + pg + "\"\n[telegram]\ntoken_file = \"" + token +
                   "\"\n[encryption]\nidentity_file = \"" + key + "\"\n");
  EXPECT_EQ(c.warnings.size(), 3u);
  EXPECT_TRUE(has(c.warnings, "postgres.password_file " + pg));
  EXPECT_TRUE(has(c.warnings, "telegram.token_file " + token + " is readable by every user (mode 0604)"));
  EXPECT_TRUE(has(c.warnings, "encryption.identity_file " + key));
  Config p = parse("[encryption]\npassphrase_file = \"" + pass + "\"\n");
  EXPECT_TRUE(has(p.warnings, "encryption.passphrase_file " + pass));
}

TEST_F(SecretFileTest, SecretFileLinkedIntoAWorldWritableFolderIsRefused) {
  std::string open_dir = dir_ + "/open";
  ASSERT_EQ(::mkdir(open_dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(open_dir.c_str(), 0777), 0);
  std::string target = open_dir + "/pgpass";
  std::ofstream(target) << "pw\n";
  ::chmod(target.c_str(), 0600);
  std::string linked = dir_ + "/pgpass-link";
  ASSERT_EQ(::symlink(target.c_str(), linked.c_str()), 0);
  std::string e = error_of("[postgres]\nuser = \"x\"\npassword_file = \"" + linked + "\"\n");
  EXPECT_NE(e.find("bb.toml:3: postgres.password_file: " + linked + " is a symbolic link to " +
                   std::filesystem::canonical(target).string()), std::string::npos) << e;
  EXPECT_NE(e.find("every user may write " + std::filesystem::canonical(open_dir).string() + " (mode 0777)"),
            std::string::npos) << e;
  EXPECT_NE(e.find("replace the link by the file itself"), std::string::npos) << e;
  // The same for an age identity, and for a link to a world-writable file.
  std::string writable = write("age.key", "AGE-SECRET-KEY-1\n", 0666);
  std::string key_link = dir_ + "/age-link";
  ASSERT_EQ(::symlink(writable.c_str(), key_link.c_str()), 0);
  e = error_of("[encryption]\nidentity_file = \"" + key_link + "\"\n");
  EXPECT_NE(e.find("bb.toml:2: encryption.identity_file: " + key_link), std::string::npos) << e;
}

TEST_F(SecretFileTest, SecretFileLinkedToAPrivatePlaceIsFine) {
  std::string target = write("pgpass", "pw\n", 0640);
  std::string linked = dir_ + "/pgpass-link";
  ASSERT_EQ(::symlink(target.c_str(), linked.c_str()), 0);
  Config c = parse("[postgres]\npassword_file = \"" + linked + "\"\n");
  EXPECT_EQ(c.postgres.password.value, "pw");
  EXPECT_TRUE(c.warnings.empty());
}

TEST_F(SecretFileTest, WorldReadableConfigFileWithInlineSecretsIsAWarning) {
  std::string path = write("bb.toml", "[postgres]\npassword = \"pw\"\n[telegram]\ntoken = \"123:abc\"\n", 0644);
  Config c = load_config(path, fake_env);
  EXPECT_EQ(c.inline_secrets, (std::vector<std::string>{"postgres.password", "telegram.token"}));
  ASSERT_EQ(c.warnings.size(), 1u);
  const std::string& w = c.warnings[0];
  EXPECT_NE(w.find("config file " + path + " holds secrets (postgres.password, telegram.token) and is readable by "
                   "every user (mode 0644)"), std::string::npos) << w;
  EXPECT_NE(w.find("chmod 640 " + path), std::string::npos) << w;
  EXPECT_EQ(w.find("123:abc"), std::string::npos) << w;
}

TEST_F(SecretFileTest, ConfigFileWithoutSecretsOrNotWorldReadableGivesNoWarning) {
  // Secrets from *_file and the environment: the config itself may be 0644.
  std::string pg = write("pgpass", "pw\n", 0600);
  g_env["BACKUPBUDDY_TELEGRAM_TOKEN"] = "123:abc";
  std::string open_cfg = write("open.toml", "[postgres]\npassword_file = \"" + pg + "\"\n[telegram]\nadmins = [1]\n", 0644);
  Config c = load_config(open_cfg, fake_env);
  EXPECT_TRUE(c.warnings.empty()) << c.warnings[0];
  // Secrets inline, group-readable as the Debian package installs it (root:postgres 0640).
  std::string group_cfg = write("group.toml", "[postgres]\npassword = \"pw\"\n", 0640);
  EXPECT_TRUE(load_config(group_cfg, fake_env).warnings.empty());
}

TEST_F(SecretFileTest, ConfigFileLinkedIntoAWorldWritableFolderIsRefused) {
  std::string open_dir = dir_ + "/open";
  ASSERT_EQ(::mkdir(open_dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(open_dir.c_str(), 0777), 0);
  std::string target = open_dir + "/bb.toml";
  std::ofstream(target) << "[postgres]\npassword = \"pw\"\n";
  std::string linked = dir_ + "/bb.toml";
  ASSERT_EQ(::symlink(target.c_str(), linked.c_str()), 0);
  try {
    load_config(linked, fake_env);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(std::string(e.what()).find("config file " + linked + " is a symbolic link"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace bb

namespace bb {
namespace {

TEST_F(ConfigTest, NotifyChannelsAndMetricsAreRead) {
  g_env["BACKUPBUDDY_SMTP_PASSWORD"] = "smtp-pass";
  Config c = parse(
      "[[notify]]\ntype = \"email\"\nsmtp_url = \"smtps://mail.example.com:465\"\nfrom = \"bb@example.com\"\n"
      "to = [\"a@example.com\"]\nusername = \"bb\"\n"
      "[[notify]]\ntype = \"webhook\"\nurl = \"https://hooks.slack.com/services/T/B/XYZ\"\nformat = \"slack\"\n"
      "on = [\"success\"]\ntimeout = \"2s\"\ntries = 5\n"
      "[[notify]]\ntype = \"heartbeat\"\nurl = \"https://hc-ping.com/uuid\"\n"
      "[metrics]\ntextfile = \"/var/lib/node_exporter/backupbuddy.prom\"\n");
  ASSERT_EQ(c.notify.size(), 3u);
  EXPECT_EQ(c.notify[0].type, NotifyType::kEmail);
  EXPECT_EQ(c.notify[0].password.value, "smtp-pass");
  EXPECT_EQ(c.notify[0].password.origin, "BACKUPBUDDY_SMTP_PASSWORD");
  EXPECT_TRUE(c.notify[0].on.failure && c.notify[0].on.warning && !c.notify[0].on.success);
  EXPECT_EQ(c.notify[0].location, "bb.toml:1");
  EXPECT_EQ(c.notify[1].format, "slack");
  EXPECT_TRUE(!c.notify[1].on.failure && !c.notify[1].on.warning && c.notify[1].on.success);
  EXPECT_EQ(c.notify[1].timeout, std::chrono::seconds(2));
  EXPECT_EQ(c.notify[1].tries, 5);
  EXPECT_EQ(c.notify[2].type, NotifyType::kHeartbeat);
  EXPECT_EQ(c.metrics.textfile, "/var/lib/node_exporter/backupbuddy.prom");
  // A URL written in the file may hold a token: the file must then be private.
  EXPECT_EQ(c.inline_secrets, (std::vector<std::string>{"notify.url", "notify.url"}));
}

TEST_F(ConfigTest, BadNotifyEntriesNameFileLineAndTheFix) {
  EXPECT_NE(error_of("[[notify]]\nurl = \"https://x\"\n").find("bb.toml:1: [[notify]] entry without type"), std::string::npos);
  EXPECT_NE(error_of("[[notify]]\ntype = \"pager\"\n").find("bb.toml:2: notify.type: unknown channel type \"pager\""),
            std::string::npos);
  EXPECT_NE(error_of("[[notify]]\ntype = \"webhook\"\nurl = \"https://x/\"\nformat = \"telex\"\n")
                .find("bb.toml:4: notify.format: unknown format \"telex\""),
            std::string::npos);
  EXPECT_NE(error_of("[[notify]]\ntype = \"webhook\"\nurl = \"https://x/\"\non = [\"sucess\"]\n")
                .find("bb.toml:4: notify.on: unknown outcome \"sucess\""),
            std::string::npos);
  EXPECT_NE(error_of("[[notify]]\ntype = \"webhook\"\n").find("webhook without url"), std::string::npos);
  std::string ftp = error_of("[[notify]]\ntype = \"webhook\"\nurl = \"ftp://h/secret-token\"\n");
  EXPECT_NE(ftp.find("must start with https://"), std::string::npos);
  EXPECT_EQ(ftp.find("secret-token"), std::string::npos) << "the URL's path may be a token";
  EXPECT_NE(error_of("[[notify]]\ntype = \"heartbeat\"\nurl = \"https://x/\"\non = [\"failure\"]\n")
                .find("bb.toml:4: notify.on: a heartbeat pings after every run"),
            std::string::npos);
  EXPECT_NE(error_of("[[notify]]\ntype = \"email\"\nsmtp_url = \"http://mail\"\nfrom = \"a@b\"\nto = [\"c@d\"]\n")
                .find("bb.toml:3: notify.smtp_url: \"http://mail\" must start with smtp://"),
            std::string::npos);
  EXPECT_NE(error_of("[[notify]]\ntype = \"email\"\nsmtp_url = \"smtp://mail\"\nfrom = \"a@b\"\nto = [\"c@d\\r\\nBcc: x@y\"]\n")
                .find("is not an e-mail address"),
            std::string::npos);
  EXPECT_NE(error_of("[[notify]]\ntype = \"email\"\nsmtp_url = \"smtp://mail\"\nfrom = \"a@b\"\nto = [\"c@d\"]\nusername = \"u\"\n")
                .find("notify.username is set but no password"),
            std::string::npos);
  EXPECT_NE(error_of("[[notify]]\ntype = \"email\"\nsmtp_url = \"smtp://mail\"\nfrom = \"a@b\"\nto = [\"c@d\"]\nformat = \"slack\"\n")
                .find("bb.toml:6: unknown key notify.format — known keys for type = \"email\""),
            std::string::npos);
  EXPECT_NE(error_of("[[notify]]\ntype = \"webhook\"\nurl = \"https://x/\"\ntimeout = \"1h\"\n").find("use 100ms..5m"),
            std::string::npos);
}

TEST(UrlForMessages, ShowsSchemeAndHostOnly) {
  EXPECT_EQ(url_for_messages("https://hooks.slack.com/services/T0/B0/secret"), "https://hooks.slack.com/…");
  EXPECT_EQ(url_for_messages("https://user:pw@example.com:8443/x?token=1"), "https://example.com:8443/…");
  EXPECT_EQ(url_for_messages("smtp://mail.example.com:587"), "smtp://mail.example.com:587");
}

TEST_F(ConfigTest, WebIsOffUnlessListenIsSet) {
  EXPECT_FALSE(parse("").web.enabled());
}

TEST_F(ConfigTest, WebUsersAndListen) {
  std::string hash = hash_password("pw", 10);
  Config c = parse("[web]\nlisten = \"127.0.0.1:8650\"\nlanguage = \"ru\"\nsession_idle = \"10m\"\n"
                   "[[web.users]]\nname = \"alice\"\npassword_hash = \"" + hash + "\"\nrole = \"operator\"\n"
                   "[[web.users]]\nname = \"bob\"\npassword_hash = \"" + hash + "\"\n");
  ASSERT_TRUE(c.web.enabled());
  EXPECT_EQ(c.web.host, "127.0.0.1");
  EXPECT_EQ(c.web.port, 8650);
  EXPECT_FALSE(c.web.tls());
  EXPECT_EQ(c.web.language, "ru");
  EXPECT_EQ(c.web.session_idle, std::chrono::seconds(600));
  ASSERT_EQ(c.web.users.size(), 2u);
  EXPECT_EQ(c.web.find_user("alice")->role, WebRole::kOperator);
  EXPECT_EQ(c.web.find_user("bob")->role, WebRole::kViewer);  // the default: sees only
  EXPECT_EQ(c.web.find_user("carol"), nullptr);
}

TEST_F(ConfigTest, WebErrorsNameFileLineAndFix) {
  std::string hash = hash_password("pw", 10);
  std::string user = "[[web.users]]\nname = \"alice\"\npassword_hash = \"" + hash + "\"\n";
  std::string listen = "[web]\nlisten = \"127.0.0.1:8650\"\n";
  EXPECT_NE(error_of("[web]\nlisten = \"8650\"\n" + user).find("bb.toml:2: web.listen: expected host:port"),
            std::string::npos);
  EXPECT_NE(error_of("[web]\nlisten = \"localhost:99999\"\n" + user).find("web.listen"), std::string::npos);
  EXPECT_NE(error_of(listen + "colour = \"blue\"\n" + user).find("bb.toml:3: unknown key web.colour — known keys: listen"),
            std::string::npos);
  EXPECT_NE(error_of(listen).find("no [[web.users]]"), std::string::npos);
  EXPECT_NE(error_of(listen + "trusted_proxies = [\"nginx.local\"]\n" + user)
                .find("bb.toml:3: web.trusted_proxies: \"nginx.local\" is not an IP address"),
            std::string::npos);
  EXPECT_EQ(parse(listen + "trusted_proxies = [\"127.0.0.1\", \"::1\"]\n" + user).web.trusted_proxies.size(), 2u);
  std::string plain = error_of(listen + "[[web.users]]\nname = \"alice\"\npassword_hash = \"hunter2\"\n");
  EXPECT_NE(plain.find("bb.toml:5: web.users.password_hash:"), std::string::npos) << plain;
  EXPECT_NE(plain.find("hash-password"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("hunter2"), std::string::npos) << "a config error must not echo a password";
  EXPECT_NE(error_of(listen + user + "role = \"admin\"\n").find("bb.toml:6: web.users.role: unknown role"),
            std::string::npos);
  EXPECT_NE(error_of(listen + user + "email = \"a@b\"\n").find("unknown key web.users.email — known keys: name, password_hash, role"),
            std::string::npos);
  EXPECT_NE(error_of(listen + user + user).find("listed twice"), std::string::npos);
  EXPECT_NE(error_of(listen + "[[web.users]]\nname = \"alice\"\n").find("has no password_hash"), std::string::npos);
  EXPECT_NE(error_of("[web]\nlisten = \"127.0.0.1:8650\"\ntls_cert_file = \"/c.pem\"\n" + user).find("go together"),
            std::string::npos);
  EXPECT_NE(error_of("[web]\nlisten = \"127.0.0.1:8650\"\nlanguage = \"de\"\n" + user).find("web.language"),
            std::string::npos);
}

}  // namespace
}  // namespace bb

namespace bb {
namespace {

TEST_F(ConfigTest, WebStoresTakeTheKeysOfStorage) {
  g_env["AWS_ACCESS_KEY_ID"] = "AKENV";
  g_env["AWS_SECRET_ACCESS_KEY"] = "secret-from-env";
  Config c = parse(
      "[backup]\nserver_name = \"db1\"\n"
      "[[web.stores]]\nname = \"office\"\ntype = \"s3\"\nendpoint = \"http://127.0.0.1:9000\"\nbucket = \"b\"\n"
      "prefix = \"pg2\"\npath_style = true\n"
      "[[web.stores]]\nname = \"archive\"\ntype = \"local\"\npath = \"/srv/other\"\n");
  EXPECT_EQ(c.backup.server_name, "db1");
  ASSERT_EQ(c.web.stores.size(), 2u);
  EXPECT_EQ(c.web.stores[0].name, "office");
  EXPECT_EQ(c.web.stores[0].storage.type, StorageType::kS3);
  EXPECT_EQ(c.web.stores[0].storage.prefix, "pg2/");
  EXPECT_EQ(c.web.stores[0].storage.secret_access_key.value, "secret-from-env");
  EXPECT_EQ(c.web.stores[0].location, "bb.toml:3");
  EXPECT_EQ(c.web.stores[1].storage.type, StorageType::kLocal);
  EXPECT_EQ(c.web.stores[1].storage.path, "/srv/other");
  EXPECT_TRUE(parse("").web.stores.empty());
  EXPECT_TRUE(parse("").backup.server_name.empty());
}

TEST_F(ConfigTest, WebStoreErrorsNameFileLineAndFix) {
  std::string local = "type = \"local\"\npath = \"/srv/x\"\n";
  EXPECT_NE(error_of("[[web.stores]]\n" + local).find("bb.toml:1: [[web.stores]] entry without name"),
            std::string::npos);
  std::string twice = error_of("[[web.stores]]\nname = \"a\"\n" + local + "[[web.stores]]\nname = \"a\"\n" + local);
  EXPECT_NE(twice.find("bb.toml:5: web store \"a\" is listed twice (first at bb.toml:1)"), std::string::npos) << twice;
  std::string unknown = error_of("[[web.stores]]\nname = \"a\"\n" + local + "colour = \"red\"\n");
  EXPECT_NE(unknown.find("bb.toml:5: unknown key web.stores.colour — known keys: name, type"), std::string::npos)
      << unknown;
  std::string s3 = error_of("[[web.stores]]\nname = \"a\"\ntype = \"s3\"\nendpoint = \"http://h\"\n");
  EXPECT_NE(s3.find("bb.toml:1: web.stores.bucket is missing"), std::string::npos) << s3;
  std::string prefix = error_of("[[web.stores]]\nname = \"a\"\n" + local + "prefix = \"../pg\"\n");
  EXPECT_NE(prefix.find("bb.toml:5: web.stores.prefix:"), std::string::npos) << prefix;
  std::string secret = error_of(
      "[[web.stores]]\nname = \"a\"\ntype = \"s3\"\nendpoint = \"http://h\"\nbucket = \"b\"\n"
      "access_key_id = \"AK\"\nsecret_access_key = \"hunter2\"\nsecret_access_key_file = \"/x\"\n");
  EXPECT_NE(secret.find("web.stores.secret_access_key and web.stores.secret_access_key_file are both set"),
            std::string::npos) << secret;
  EXPECT_EQ(secret.find("hunter2"), std::string::npos);
  EXPECT_NE(error_of("[web]\nstores = 3\n").find("bb.toml:2: web.stores must be [[web.stores]] entries"),
            std::string::npos);
  EXPECT_NE(error_of("[backup]\nserver_name = \"\"\n").find("bb.toml:2: backup.server_name:"), std::string::npos);
}

}  // namespace
}  // namespace bb
