// Run records (ops/runs.h): the stored JSON, reading it back, the keep-100 trim, and that
// the inventory files them apart from backups.
#include "ops/runs.h"

#include <gtest/gtest.h>

#include "catalog/inventory.h"
#include "memory_storage.h"
#include "util/error.h"

namespace bb {
namespace {

RunRecord sample_run() {
  Config config;
  config.backup.server_name = "db1";
  RunRecord run = begin_run_record(config, "backup", *parse_backup_id("20261124T040000Z"));
  run.finished_at = run.started_at + std::chrono::seconds(75);
  BackupResult ok;
  ok.database = "shop";
  ok.ok = true;
  ok.id = "20261124T040001Z";
  ok.dump_bytes = 1000;
  ok.stored_bytes = 300;
  ok.seconds = 12.5;
  ok.warnings = {"\"shop\" dumped less than half of its previous size"};
  BackupResult bad;
  bad.database = "<img src=x onerror=alert(1)>";
  bad.error = "pg_dump failed: permission denied for table t";
  BackupResult gone;
  gone.database = "old";
  gone.ok = true;
  gone.vanished = true;
  run.results = {ok, bad, gone};
  return run;
}

TEST(RunRecords, JsonNamesEachDatabaseResult) {
  RunRecord run = sample_run();
  auto j = run_record_json(run);
  EXPECT_EQ(j["format"], "backupbuddy-run");
  EXPECT_EQ(j["format_version"], 1);
  EXPECT_EQ(j["server"], "db1");
  EXPECT_EQ(j["id"], "20261124T040000.000Z");
  EXPECT_EQ(j["command"], "backup");
  EXPECT_EQ(j["started_at"], "2026-11-24T04:00:00Z");
  EXPECT_EQ(j["finished_at"], "2026-11-24T04:01:15Z");
  EXPECT_DOUBLE_EQ(j["seconds"].get<double>(), 75.0);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["databases"], 2);  // the vanished database is not one of the run's
  EXPECT_EQ(j["backed_up"], 1);
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_FALSE(j["tool_version"].get<std::string>().empty());
  ASSERT_EQ(j["results"].size(), 3u);
  EXPECT_EQ(j["results"][0]["id"], "20261124T040001Z");
  EXPECT_EQ(j["results"][0]["stored_bytes"], 300);
  EXPECT_EQ(j["results"][1]["ok"], false);
  EXPECT_EQ(j["results"][1]["error"], "pg_dump failed: permission denied for table t");
  EXPECT_EQ(j["results"][2]["vanished"], true);
}

TEST(RunRecords, ReadBackAsWritten) {
  RunRecord run = sample_run();
  RunRecord back = parse_run_record(run_record_json(run).dump());
  EXPECT_EQ(back.server, "db1");
  EXPECT_EQ(back.id, run.id);
  EXPECT_EQ(back.started_at, run.started_at);
  EXPECT_EQ(back.finished_at, run.finished_at);
  ASSERT_EQ(back.results.size(), 3u);
  EXPECT_EQ(back.results[0].warnings, run.results[0].warnings);
  EXPECT_EQ(back.results[1].database, "<img src=x onerror=alert(1)>");
  EXPECT_EQ(back.results[1].error, run.results[1].error);
  EXPECT_TRUE(back.results[2].vanished);
  EXPECT_EQ(back.backed_up(), 1u);
  EXPECT_FALSE(back.ok());
}

TEST(RunRecords, ForeignOrNewerTextIsRefused) {
  EXPECT_THROW(parse_run_record("not json"), OperationError);
  EXPECT_THROW(parse_run_record(R"({"format": "backupbuddy-manifest", "format_version": 1})"), OperationError);
  auto j = run_record_json(sample_run());
  j["format_version"] = 2;
  EXPECT_THROW(parse_run_record(j.dump()), OperationError);
  j["format_version"] = 1;
  j["a_field_of_later_versions"] = true;  // unknown fields are ignored
  EXPECT_NO_THROW(parse_run_record(j.dump()));
  // Another store's records are input like any other: wrong types and absurd numbers.
  auto wrong = j;
  wrong["results"][0]["ok"] = "yes";
  EXPECT_THROW(parse_run_record(wrong.dump()), OperationError);
  auto huge = j;
  huge["seconds"] = 1e300;
  EXPECT_EQ(parse_run_record(huge.dump()).finished_at, *parse_iso_utc("2026-11-24T04:01:15Z"));
}

TEST(RunRecords, StoringKeepsTheNewestHundredOfThisServerOnly) {
  testing::MemoryStorage storage;
  RunRecord run = sample_run();
  storage.add("shop/20261124T040001Z.json");
  storage.add("!runs/other/20200101T000000.000Z.json");
  storage.add("!runs/db1/notes.txt");  // not a run record: never deleted
  for (int i = 0; i < 101; ++i) {
    run.started_at = *parse_backup_id("20261124T040000Z") + std::chrono::minutes(i);
    run.id = format_run_id(run.started_at);
    store_run_record(storage, run);
  }
  std::vector<std::string> mine;
  for (const auto& [key, obj] : storage.objects)
    if (key.rfind("!runs/db1/2", 0) == 0) mine.push_back(key);
  ASSERT_EQ(mine.size(), kRunRecordsKept);
  EXPECT_EQ(mine.front(), "!runs/db1/20261124T040100.000Z.json");  // the first run's record went
  EXPECT_EQ(storage.deletions, std::vector<std::string>{"!runs/db1/20261124T040000.000Z.json"});
  EXPECT_TRUE(storage.objects.count("!runs/other/20200101T000000.000Z.json"));
  EXPECT_TRUE(storage.objects.count("!runs/db1/notes.txt"));
  EXPECT_TRUE(storage.objects.count("shop/20261124T040001Z.json"));

  auto keys = list_run_keys(storage);
  ASSERT_EQ(keys.size(), kRunRecordsKept + 1);
  EXPECT_EQ(keys.front().id, "20261124T054000.000Z");  // newest first
  EXPECT_EQ(keys.back().server, "other");
}

TEST(RunRecords, LastRunOfEachServer) {
  testing::MemoryStorage storage;
  RunRecord run = sample_run();
  store_run_record(storage, run);
  RunRecord later = run;
  later.started_at += std::chrono::hours(24);
  later.id = format_run_id(later.started_at);
  later.results.resize(1);
  store_run_record(storage, later);
  RunRecord other = run;
  other.server = "db2";
  store_run_record(storage, other);
  storage.add(run_key("db3", "20261124T040000.000Z"), std::chrono::system_clock::now(), "garbage");
  auto last = last_runs_by_server(storage);
  ASSERT_EQ(last.size(), 2u);  // db3's only record cannot be read
  EXPECT_EQ(last[0].server, "db1");
  EXPECT_EQ(last[0].id, later.id);
  EXPECT_TRUE(last[0].ok());
  EXPECT_EQ(last[1].server, "db2");
}

// The console's choice over the records it has read: the same runs as last_runs_by_server.
TEST(RunRecords, NewestPerServerOverRecordsAlreadyRead) {
  RunRecord run = sample_run();
  RunRecord later = run;
  later.started_at += std::chrono::hours(24);
  later.id = format_run_id(later.started_at);
  RunRecord other = run;
  other.server = "db0";
  auto last = newest_per_server({later, other, run});  // newest first, as list_run_keys orders them
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[0].server, "db0");
  EXPECT_EQ(last[1].server, "db1");
  EXPECT_EQ(last[1].id, later.id);
  EXPECT_TRUE(newest_per_server({}).empty());
}

TEST(RunRecords, AFailingStoreCostsOnlyAWarning) {
  testing::MemoryStorage storage;
  storage.fail_puts = true;
  EXPECT_NO_THROW(store_run_record(storage, sample_run()));
  EXPECT_TRUE(storage.objects.empty());
}

TEST(RunRecords, InventoryFilesThemApartFromBackups) {
  std::vector<ObjectInfo> objects{{run_key("db1", "20261124T040000.000Z"), 10, {}},
                                  {"%21runs/20261124T040000Z.json", 10, {}},
                                  {"%21runs/20261124T040000Z.dump.zst", 10, {}}};
  Inventory inv = build_inventory(objects, true);
  EXPECT_EQ(inv.runs.size(), 1u);
  EXPECT_TRUE(inv.unrecognized.empty());
  ASSERT_EQ(inv.backups.size(), 1u);
  EXPECT_EQ(inv.backups.begin()->first, "!runs");  // a database named "!runs" is just a database
}

}  // namespace
}  // namespace bb
