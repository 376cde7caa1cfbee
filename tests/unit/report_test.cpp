// Tests for the run, alert and drill reports: failures first, every database named with
// its reason or sizes, warnings under their database, one table per language.
#include "notify/report.h"

#include <gtest/gtest.h>

namespace bb {
namespace {

BackupResult ok(const std::string& db, std::uint64_t stored, std::uint64_t dump, double seconds) {
  BackupResult r;
  r.database = db;
  r.ok = true;
  r.id = "20261201T040000Z";
  r.stored_bytes = stored;
  r.dump_bytes = dump;
  r.seconds = seconds;
  return r;
}

BackupResult failed(const std::string& db, const std::string& why) {
  BackupResult r;
  r.database = db;
  r.error = why;
  return r;
}

TEST(RunReport, AllFineInEnglish) {
  std::vector<BackupResult> results{ok("buh", 2048, 10240, 3.25), ok("zup", 1536, 4096, 72.4)};
  EXPECT_EQ(format_run_report(results, "en"),
            "BackupBuddy: all 2 database(s) backed up.\n"
            "✅ buh: 2.0 KiB stored (10 KiB dump), 3.2 s\n"
            "✅ zup: 1.5 KiB stored (4.0 KiB dump), 1 min 12 s");
}

TEST(RunReport, FailuresComeFirstWithTheirReasonAndWarningsFollowTheirDatabase) {
  BackupResult shrunk = ok("crm", 1024, 2048, 1.0);
  shrunk.warnings = {"\"crm\": dump is 2.0 KiB, the previous one was 90.0 MiB"};
  std::vector<BackupResult> results{ok("buh", 2048, 10240, 3.25), shrunk,
                                    failed("zup", "database \"zup\" does not exist")};
  EXPECT_EQ(format_run_report(results, "en"),
            "BackupBuddy: 1 of 3 database(s) FAILED — the other backups are fine.\n"
            "❌ zup: not backed up — database \"zup\" does not exist\n"
            "✅ buh: 2.0 KiB stored (10 KiB dump), 3.2 s\n"
            "✅ crm: 1.0 KiB stored (2.0 KiB dump), 1.0 s\n"
            "⚠️ \"crm\": dump is 2.0 KiB, the previous one was 90.0 MiB");
}

TEST(RunReport, NamesNewDatabasesAndThoseGoneFromTheServer) {
  BackupResult fresh = ok("db3", 2048, 10240, 3.25);
  fresh.first_backup = true;
  BackupResult gone;
  gone.database = "db4";
  gone.ok = true;
  gone.vanished = true;
  std::vector<BackupResult> results{ok("buh", 2048, 10240, 3.25), fresh, gone};
  std::string text = format_run_report(results, "en");
  EXPECT_EQ(text.substr(0, text.find('\n')), "BackupBuddy: all 2 database(s) backed up.");
  EXPECT_NE(text.find("\n🆕 new: db3"), std::string::npos) << text;
  EXPECT_NE(text.find("\n⚠️ gone from the server: db4 (their backups are kept)"), std::string::npos) << text;
  EXPECT_EQ(text.find("✅ db4"), std::string::npos) << text;
}

TEST(RunReport, RussianIsTheDefaultLanguage) {
  std::vector<BackupResult> results{failed("buh", "нет места")};
  const std::string text = format_run_report(results, "ru");
  EXPECT_EQ(text, "BackupBuddy: не сохранено баз: 1 из 1 — остальные копии в порядке.\n❌ buh: копия не создана — нет места");
  EXPECT_EQ(format_run_report(results, "xx"), text);  // unknown: Russian, as the bot
}

TEST(RunReport, PlaceholderTextInAValueIsNotFilledAgain) {
  // A database literally named "{why}" must not pull the reason into its name.
  std::vector<BackupResult> results{failed("{why}", "boom")};
  EXPECT_EQ(format_run_report(results, "en"),
            "BackupBuddy: 1 of 1 database(s) FAILED — the other backups are fine.\n❌ {why}: not backed up — boom");
}

TEST(FailureAlert, NamesTheDatabaseAndTheReason) {
  EXPECT_EQ(format_failure_alert(failed("buh", "S3 is down"), "en"),
            "❌ BackupBuddy: buh was not backed up — S3 is down");
  EXPECT_EQ(format_failure_alert(failed("buh", "S3 недоступен"), "ru"),
            "❌ BackupBuddy: не удалось сохранить buh — S3 недоступен");
}

TEST(DrillReport, CountsFailuresAndNamesEachDatabase) {
  VerifyResult good;
  good.database = "buh";
  good.id = "20261201T040000Z";
  good.ok = true;
  good.tables = 12;
  good.rows = 34567;
  VerifyResult bad;
  bad.database = "zup";
  bad.id = "20261130T040000Z";
  bad.error = "the object is damaged";
  EXPECT_EQ(format_drill_report({good}, "en"),
            "BackupBuddy restore drill: all 1 database(s) restored and checked.\n"
            "✅ buh: backup 20261201T040000Z restores (12 tables, 34567 rows, all as in the backup)");
  EXPECT_EQ(format_drill_report({good, bad}, "en"),
            "BackupBuddy restore drill: 1 of 2 database(s) FAILED to restore.\n"
            "✅ buh: backup 20261201T040000Z restores (12 tables, 34567 rows, all as in the backup)\n"
            "❌ zup: backup 20261130T040000Z does NOT restore — the object is damaged");
}

}  // namespace
}  // namespace bb
