// Key layout: database-name encoding, backup ids, and parsing of new and legacy keys.
#include "catalog/keys.h"

#include <gtest/gtest.h>

namespace bb {
namespace {

TEST(Keys, PlainNamesStayPlain) {
  EXPECT_EQ(encode_db_name("buh2_db"), "buh2_db");
  EXPECT_EQ(encode_db_name("a.b~c-d"), "a.b~c-d");
}

TEST(Keys, AwkwardNamesArePercentEncodedUppercase) {
  EXPECT_EQ(encode_db_name("bad \"name\""), "bad%20%22name%22");
  EXPECT_EQ(encode_db_name("a/b"), "a%2Fb");
  EXPECT_EQ(encode_db_name("Ёж"), "%D0%81%D0%B6");
  EXPECT_EQ(encode_db_name("100%"), "100%25");
}

TEST(Keys, DotNamesNeverBecomePathSegments) {
  EXPECT_EQ(encode_db_name("."), "%2E");
  EXPECT_EQ(encode_db_name(".."), "%2E%2E");
  EXPECT_EQ(encode_db_name("..."), "...");
  EXPECT_EQ(decode_db_name("%2E"), ".");
  EXPECT_EQ(decode_db_name("%2E%2E"), "..");
  EXPECT_FALSE(decode_db_name("a%2Eb"));  // only "." and ".." are written that way
  EXPECT_EQ(parse_key(data_key("..", "20260903T040000Z", false))->db, "..");
}

TEST(Keys, EncodingRoundTripsEveryByte) {
  std::string all;
  for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
  EXPECT_EQ(decode_db_name(encode_db_name(all)), all);
}

TEST(Keys, DecodeRejectsNonCanonicalText) {
  EXPECT_FALSE(decode_db_name("a%2fb"));   // lowercase hex is never written
  EXPECT_FALSE(decode_db_name("%41"));     // 'A' would be written plain
  EXPECT_FALSE(decode_db_name("a b"));     // raw space
  EXPECT_FALSE(decode_db_name("abc%2"));   // truncated escape
  EXPECT_FALSE(decode_db_name(""));
}

TEST(Keys, BackupIdRoundTrip) {
  auto t = parse_backup_id("20260903T040000Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_backup_id(*t), "20260903T040000Z");
  EXPECT_EQ(format_iso_utc(*t), "2026-09-03T04:00:00Z");
  EXPECT_FALSE(parse_backup_id("20260231T040000Z"));  // 31 February
  EXPECT_FALSE(parse_backup_id("20260903T250000Z"));
  EXPECT_FALSE(parse_backup_id("20260903040000Z"));
}

TEST(Keys, DataAndManifestKeysParseBack) {
  std::string db = "Order Lines \"2024\"";
  auto data = parse_key(data_key(db, "20260903T040000Z", false));
  ASSERT_TRUE(data);
  EXPECT_EQ(data->kind, ParsedKey::Kind::kData);
  EXPECT_EQ(data->db, db);
  EXPECT_EQ(data->id, "20260903T040000Z");
  EXPECT_FALSE(data->encrypted);
  auto enc = parse_key(data_key(db, "20260903T040000Z", true));
  ASSERT_TRUE(enc);
  EXPECT_TRUE(enc->encrypted);
  auto man = parse_key(manifest_key(db, "20260903T040000Z"));
  ASSERT_TRUE(man);
  EXPECT_EQ(man->kind, ParsedKey::Kind::kManifest);
}

TEST(Keys, LegacyKeysWithDashesInTheName) {
  auto k = parse_key("my-shop-db-2024_09_19-WEEKLY.dump");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->kind, ParsedKey::Kind::kLegacy);
  EXPECT_EQ(k->db, "my-shop-db");
  EXPECT_EQ(k->id, "2024_09_19");
  EXPECT_EQ(k->legacy_kind, "WEEKLY");
  EXPECT_EQ(format_iso_utc(k->time), "2024-09-19T12:00:00Z");
}

TEST(Keys, UnrelatedKeysAreNotBackups) {
  for (const char* key : {"notes.txt", "db/README", "db/20260903T040000Z.dump", "db/20260903T040000Z.json.bak",
                          "db/sub/20260903T040000Z.json", "db-2024_13_01-DAILY.dump", "db-2024_09_19-HOURLY.dump",
                          "-2024_09_19-DAILY.dump", ".backupbuddy-check/h-1/probe.txt"}) {
    EXPECT_FALSE(parse_key(key)) << key;
  }
}

}  // namespace
}  // namespace bb

namespace bb {
namespace {

TEST(RunKeys, RunIdsKeepMillisecondsAndSortByTime) {
  TimePoint t = *parse_backup_id("20261124T040000Z") + std::chrono::milliseconds(7);
  EXPECT_EQ(format_run_id(t), "20261124T040000.007Z");
  EXPECT_EQ(parse_run_id("20261124T040000.007Z"), t);
  EXPECT_LT(format_run_id(t), format_run_id(t + std::chrono::milliseconds(993)));
  EXPECT_FALSE(parse_run_id("20261124T040000Z"));
  EXPECT_FALSE(parse_run_id("20261124T040000.07Z"));
  EXPECT_FALSE(parse_run_id("20261124T040000.0a7Z"));
}

TEST(RunKeys, RoundTripWithAnyServerName) {
  for (std::string server : {"db1", "host.example.org", "a/b", "Ёж", "!runs"}) {
    std::string key = run_key(server, "20261124T040000.123Z");
    EXPECT_EQ(key.rfind("!runs/", 0), 0u) << key;
    auto parsed = parse_run_key(key);
    ASSERT_TRUE(parsed) << key;
    EXPECT_EQ(parsed->server, server);
    EXPECT_EQ(parsed->id, "20261124T040000.123Z");
    EXPECT_EQ(key.rfind(server_runs_folder(server), 0), 0u);
  }
  EXPECT_EQ(run_key("db1", "20261124T040000.123Z"), "!runs/db1/20261124T040000.123Z.json");
}

TEST(RunKeys, NoDatabaseKeyIsARunKeyNorTheOtherWayRound) {
  // Every byte a database name can hold: its keys never start with "!runs/".
  for (std::string db : {"!runs", "!", "runs", "a!b", "_globals"}) {
    std::string key = manifest_key(db, "20261124T040000Z");
    EXPECT_NE(key.rfind(runs_folder(), 0), 0u) << key;
    EXPECT_FALSE(parse_run_key(key)) << key;
  }
  EXPECT_EQ(encode_db_name("!runs"), "%21runs");
  EXPECT_FALSE(parse_key(run_key("db1", "20261124T040000.123Z")));
  EXPECT_FALSE(parse_globals_key(run_key("db1", "20261124T040000.123Z")));
  EXPECT_FALSE(parse_run_key("!runs/db1/20261124T040000.123Z.txt"));
  EXPECT_FALSE(parse_run_key("!runs/db%2/20261124T040000.123Z.json"));
  EXPECT_FALSE(parse_run_key("!runs/20261124T040000.123Z.json"));
  EXPECT_FALSE(parse_run_key("!runs/db1/x/20261124T040000.123Z.json"));
}

}  // namespace
}  // namespace bb
