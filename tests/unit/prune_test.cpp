// Prune's safety rules, on a fake in-memory storage (see memory_storage.h): only our
// layout is deleted, data before manifest, orphans and unfinished uploads only when
// older than 24 h, the newest backup always kept, dry runs delete nothing.
#include "ops/prune.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "catalog/keys.h"
#include "catalog/manifest.h"
#include "memory_storage.h"

namespace bb {
namespace {

using std::chrono::hours;
using testing::MemoryStorage;

Config utc_config(RetentionCounts counts) {
  Config c;
  c.backup.timezone = "UTC";
  c.retention = counts;
  return c;
}

// prune_database over the in-memory store.
PruneReport prune_in(const Config& config, MemoryStorage& s, const std::string& db, bool dry_run,
                     const std::vector<std::string>& keep_ids = {}) {
  RunContext ctx(config, s);
  return prune_database(ctx, db, dry_run, keep_ids);
}

// A backup with a manifest that describes it (only such a backup fills a retention slot).
void add_backup(MemoryStorage& s, const std::string& db, const std::string& id) {
  s.add(data_key(db, id, false));
  Manifest m;
  m.database = db;
  m.id = id;
  m.data_key = data_key(db, id, false);
  m.started_at = m.finished_at = *parse_backup_id(id);
  m.stored_bytes = 1;
  m.sha256 = std::string(64, '0');
  s.add(manifest_key(db, id), std::chrono::system_clock::now(), manifest_to_json(m));
}

TEST(Prune, DeletesDataObjectsBeforeTheirManifests) {
  MemoryStorage s;
  for (int d = 1; d <= 6; ++d) add_backup(s, "db", "202611" + std::string(d < 10 ? "0" : "") + std::to_string(d) + "T040000Z");
  PruneReport r = prune_in(utc_config({2, 0, 0, 0}), s, "db", false);
  ASSERT_EQ(r.plan.drop().size(), 4u);
  ASSERT_EQ(s.deletions.size(), 8u);
  for (const auto& dropped : r.plan.drop()) {
    auto data_pos = std::find(s.deletions.begin(), s.deletions.end(), dropped->data_key);
    auto manifest_pos = std::find(s.deletions.begin(), s.deletions.end(), dropped->manifest_key);
    ASSERT_NE(data_pos, s.deletions.end());
    ASSERT_NE(manifest_pos, s.deletions.end());
    EXPECT_LT(data_pos, manifest_pos) << dropped->id;
  }
  EXPECT_TRUE(s.head(data_key("db", "20261106T040000Z", false)));
  EXPECT_TRUE(s.head(data_key("db", "20261105T040000Z", false)));
  EXPECT_FALSE(s.head(data_key("db", "20261104T040000Z", false)));
}

TEST(Prune, DryRunDeletesNothing) {
  MemoryStorage s;
  for (int d = 1; d <= 9; ++d) add_backup(s, "db", "2026110" + std::to_string(d) + "T040000Z");
  s.add("db/20261001T040000Z.dump.zst", std::chrono::system_clock::now() - hours(48));  // old orphan
  auto before = s.objects.size();
  PruneReport r = prune_in(utc_config({1, 0, 0, 0}), s, "db", true);
  EXPECT_EQ(r.plan.drop().size(), 8u);
  EXPECT_EQ(r.orphans_removed, 1u);
  EXPECT_TRUE(s.deletions.empty());
  EXPECT_EQ(s.objects.size(), before);
}

TEST(Prune, NeverTouchesObjectsOfOtherLayoutsOrOtherDatabases) {
  MemoryStorage s;
  for (int d = 1; d <= 5; ++d) add_backup(s, "db", "2026110" + std::to_string(d) + "T040000Z");
  for (int d = 1; d <= 5; ++d) add_backup(s, "db-other", "2026110" + std::to_string(d) + "T040000Z");
  s.add("db/notes.txt");
  s.add("db/20261101T040000Z.dump");
  s.add("db-2026_11_01-DAILY.dump.bak");
  s.add("db-other-2024_01_01-DAILY.dump");  // a legacy object of "db-other", not of "db"
  prune_in(utc_config({1, 0, 0, 0}), s, "db", false);
  for (const auto& k : s.deletions) EXPECT_EQ(k.rfind("db/2026110", 0), 0u) << k;
  EXPECT_TRUE(s.head("db/notes.txt"));
  EXPECT_TRUE(s.head("db/20261101T040000Z.dump"));
  EXPECT_TRUE(s.head("db-2026_11_01-DAILY.dump.bak"));
  EXPECT_TRUE(s.head("db-other-2024_01_01-DAILY.dump"));
  EXPECT_EQ(s.list("db-other/").size(), 10u);
}

TEST(Prune, OrphansAndUploadsOnlyWhenOlderThanADay) {
  MemoryStorage s;
  auto now = std::chrono::system_clock::now();
  add_backup(s, "db", "20261101T040000Z");
  s.add("db/20261020T040000Z.dump.zst", now - hours(25));  // crashed run, old: removed
  s.add("db/20261123T040000Z.dump.zst", now - hours(1));   // maybe running elsewhere: kept
  s.uploads.push_back({"db/20261020T040000Z.dump.zst", "old-upload", now - hours(30)});
  s.uploads.push_back({"db/20261123T040000Z.dump.zst", "fresh-upload", now - hours(2)});
  s.uploads.push_back({"other/20261020T040000Z.dump.zst", "other-db", now - hours(30)});
  PruneReport r = prune_in(utc_config({1, 0, 0, 0}), s, "db", false);
  EXPECT_EQ(r.orphans_removed, 1u);
  EXPECT_FALSE(s.head("db/20261020T040000Z.dump.zst"));
  EXPECT_TRUE(s.head("db/20261123T040000Z.dump.zst"));
  EXPECT_EQ(s.aborted, std::vector<std::string>{"old-upload"});
  EXPECT_TRUE(s.head(data_key("db", "20261101T040000Z", false)));
}

TEST(Prune, ManifestsWithoutDataAreRemovedWhenADayOld) {
  // Left by a prune stopped between deleting a data object and its manifest.
  MemoryStorage s;
  auto now = std::chrono::system_clock::now();
  add_backup(s, "db", "20261101T040000Z");
  s.add(manifest_key("db", "20261020T040000Z"), now - hours(25));
  s.add(manifest_key("db", "20261121T040000Z"), now - hours(1));
  PruneReport r = prune_in(utc_config({1, 0, 0, 0}), s, "db", false);
  EXPECT_EQ(r.orphans_removed, 1u);
  EXPECT_FALSE(s.head(manifest_key("db", "20261020T040000Z")));
  EXPECT_TRUE(s.head(manifest_key("db", "20261121T040000Z")));
  EXPECT_TRUE(s.head(manifest_key("db", "20261101T040000Z")));
}

TEST(Prune, TheNewestBackupSurvivesEvenAMinimalPolicy) {
  MemoryStorage s;
  add_backup(s, "db", "20200101T040000Z");
  add_backup(s, "db", "20261101T040000Z");
  s.add("db-2027_01_01-DAILY.dump");  // a legacy object dated later is the newest
  prune_in(utc_config({0, 0, 0, 1}), s, "db", false);
  EXPECT_TRUE(s.head("db-2027_01_01-DAILY.dump"));
}

TEST(Prune, LegacyObjectsArePrunedByDateWithoutManifests) {
  MemoryStorage s;
  s.add("db-2024_09_17-DAILY.dump");
  s.add("db-2024_09_18-WEEKLY.dump");
  s.add("db-2024_09_19-MONTHLY.dump");
  add_backup(s, "db", "20240920T040000Z");
  PruneReport r = prune_in(utc_config({2, 0, 0, 0}), s, "db", false);
  EXPECT_TRUE(s.head(data_key("db", "20240920T040000Z", false)));
  EXPECT_TRUE(s.head("db-2024_09_19-MONTHLY.dump"));  // kind suffix is ignored: dates decide
  EXPECT_FALSE(s.head("db-2024_09_18-WEEKLY.dump"));
  EXPECT_FALSE(s.head("db-2024_09_17-DAILY.dump"));
}

TEST(Prune, UntrustedObjectsAreKeptAndTakeNoSlot) {
  MemoryStorage s;
  add_backup(s, "db", "20261101T040000Z");
  add_backup(s, "db", "20261102T040000Z");
  const auto future = format_backup_id(std::chrono::system_clock::now() + hours(10));
  add_backup(s, "db", future);                           // a host whose clock runs ahead
  s.add(data_key("db", "20261103T040000Z", false));      // a manifest of another database
  s.objects[manifest_key("db", "20261103T040000Z")].data = s.objects[manifest_key("db", "20261102T040000Z")].data;
  s.add(data_key("db", "20261104T040000Z", false));      // an unreadable manifest
  s.add(manifest_key("db", "20261104T040000Z"), std::chrono::system_clock::now(), "{not json");
  PruneReport r = prune_in(utc_config({1, 0, 0, 0}), s, "db", false);
  // Only the older trusted backup goes; the three untrusted ones stay as evidence.
  ASSERT_EQ(r.plan.drop().size(), 1u);
  EXPECT_EQ(r.plan.drop()[0]->id, "20261101T040000Z");
  EXPECT_TRUE(s.head(data_key("db", "20261102T040000Z", false)));
  EXPECT_TRUE(s.head(data_key("db", future, false)));
  EXPECT_TRUE(s.head(data_key("db", "20261103T040000Z", false)));
  EXPECT_TRUE(s.head(data_key("db", "20261104T040000Z", false)));
  auto notes = untrusted_notes(r);
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_NE(notes[0].find("in the future"), std::string::npos) << notes[0];
}

TEST(Prune, TheBackupARunJustMadeStays) {
  MemoryStorage s;
  add_backup(s, "db", "20261101T040000Z");
  add_backup(s, "db", "20261101T040030Z");  // another host, same day, a little later
  PruneReport r = prune_in(utc_config({1, 0, 0, 0}), s, "db", false, {"20261101T040000Z"});
  EXPECT_TRUE(r.plan.drop().empty());
  EXPECT_TRUE(s.head(data_key("db", "20261101T040000Z", false)));
}

}  // namespace
}  // namespace bb

namespace bb {
namespace {

TEST(PruneGlobals, GoWithTheBackupsButTheNewestAndTheOldestBackupsRunStay) {
  MemoryStorage s;
  add_backup(s, "db", "20261105T040000Z");
  add_backup(s, "other", "20261107T040000Z");
  for (const char* id : {"20261101T035959Z", "20261103T035959Z", "20261105T035959Z", "20261107T035959Z"})
    s.add(globals_key(id));
  s.add("db/notes.txt");  // of no known layout: never touched
  Inventory inv = build_inventory(s.list(""), false);
  EXPECT_EQ(inv.globals.size(), 4u);
  EXPECT_EQ(inv.unrecognized, std::vector<std::string>{"db/notes.txt"});
  EXPECT_EQ(prune_globals(s, inv, true), 2u);
  EXPECT_TRUE(s.deletions.empty());
  EXPECT_EQ(prune_globals(s, inv, false), 2u);
  EXPECT_FALSE(s.head(globals_key("20261101T035959Z")));
  EXPECT_FALSE(s.head(globals_key("20261103T035959Z")));
  EXPECT_TRUE(s.head(globals_key("20261105T035959Z")));  // the run of the oldest backup
  EXPECT_TRUE(s.head(globals_key("20261107T035959Z")));
}

TEST(PruneGlobals, WithoutBackupsOnlyTheNewestStays) {
  MemoryStorage s;
  s.add(globals_key("20261101T035959Z"));
  s.add(globals_key("20261102T035959Z"));
  EXPECT_EQ(prune_globals(s, build_inventory(s.list(""), false), false), 1u);
  EXPECT_TRUE(s.head(globals_key("20261102T035959Z")));
}

}  // namespace
}  // namespace bb
