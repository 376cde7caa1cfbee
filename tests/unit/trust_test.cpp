// Tests for catalog/trust: which stored backups may fill a retention slot or be restored
// by default (manifest consistency, future dates, legacy objects).
#include "catalog/trust.h"

#include <gtest/gtest.h>

namespace bb {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kNow = *parse_backup_id("20261201T120000Z");

BackupEntry entry_at(TimePoint t) {
  BackupEntry e;
  e.db = "buh";
  e.id = format_backup_id(t);
  e.time = t;
  e.data_key = data_key("buh", e.id, false);
  e.manifest_key = manifest_key("buh", e.id);
  e.stored_bytes = 1234;
  return e;
}

Manifest manifest_of(const BackupEntry& e) {
  Manifest m;
  m.database = e.db;
  m.id = e.id;
  m.data_key = e.data_key;
  m.stored_bytes = e.stored_bytes;
  m.started_at = e.time;
  m.finished_at = e.time + minutes(3);
  return m;
}

TEST(Trust, ConsistentManifestOfThePastIsTrusted) {
  auto e = entry_at(kNow - hours(8));
  auto m = manifest_of(e);
  EXPECT_EQ(distrust_reason(e, &m, "", kNow), "");
}

TEST(Trust, FutureDatedBackupSaysHowFarAndWhy) {
  auto e = entry_at(kNow + hours(10));
  auto m = manifest_of(e);
  EXPECT_EQ(distrust_reason(e, &m, "", kNow),
            "dated 10 h 00 min in the future (2026-12-01T22:00:00Z): clock skew on the host that wrote it?");
  EXPECT_EQ(future_date_reason(e, kNow), distrust_reason(e, &m, "", kNow));
}

TEST(Trust, SmallClockDifferencesAreTolerated) {
  auto e = entry_at(kNow + seconds(50));
  auto m = manifest_of(e);
  m.finished_at = e.time;
  EXPECT_EQ(distrust_reason(e, &m, "", kNow), "");
  auto later = entry_at(kNow + minutes(5));
  EXPECT_NE(future_date_reason(later, kNow).find("dated 5 min in the future"), std::string::npos);
}

TEST(Trust, FinishedInTheFutureIsUntrusted) {
  auto e = entry_at(kNow - minutes(1));
  auto m = manifest_of(e);
  m.finished_at = kNow + hours(2);
  EXPECT_NE(distrust_reason(e, &m, "", kNow).find("finished 2 h 00 min in the future"), std::string::npos);
}

TEST(Trust, ManifestOfAnotherDatabaseIsUntrusted) {
  auto e = entry_at(kNow - hours(1));
  auto m = manifest_of(e);
  m.database = "zup";
  EXPECT_EQ(distrust_reason(e, &m, "", kNow), "its manifest describes database \"zup\", not \"buh\"");
}

TEST(Trust, ManifestOfAnotherIdOrObjectIsUntrusted) {
  auto e = entry_at(kNow - hours(1));
  auto m = manifest_of(e);
  m.id = "20261130T040000Z";
  EXPECT_NE(distrust_reason(e, &m, "", kNow).find("describes backup"), std::string::npos);
  m = manifest_of(e);
  m.data_key = "buh/20261130T040000Z.dump.zst";
  EXPECT_NE(distrust_reason(e, &m, "", kNow).find("describes object"), std::string::npos);
  m = manifest_of(e);
  m.stored_bytes = 99;  // damage to the object is verify's and restore's to find, not a matter of trust
  EXPECT_EQ(distrust_reason(e, &m, "", kNow), "");
}

TEST(Trust, UnreadableManifestIsUntrustedWithItsError) {
  auto e = entry_at(kNow - hours(1));
  EXPECT_EQ(distrust_reason(e, nullptr, "bad JSON at 1:1", kNow), "its manifest cannot be used: bad JSON at 1:1");
}

TEST(Trust, LegacyObjectsNeedNoManifestAndMayBeADayAhead) {
  BackupEntry e;
  e.db = "buh";
  e.id = "2026_12_02";
  e.legacy = true;
  e.time = *parse_backup_id("20261202T120000Z");  // noon UTC of its date, 24 h ahead of kNow
  EXPECT_EQ(distrust_reason(e, nullptr, "", kNow), "");
  e.time = *parse_backup_id("20261204T120000Z");
  EXPECT_NE(distrust_reason(e, nullptr, "", kNow).find("3 days in the future"), std::string::npos);
}

TEST(Trust, NewestTrustedSkipsUntrusted) {
  std::vector<BackupEntry> list{entry_at(kNow + hours(3)), entry_at(kNow - hours(1)), entry_at(kNow - hours(30))};
  list[0].distrust = "future";
  EXPECT_EQ(newest_trusted(list), &list[1]);
  list[1].distrust = "broken";
  list[2].distrust = "broken";
  EXPECT_EQ(newest_trusted(list), nullptr);
}

}  // namespace
}  // namespace bb
