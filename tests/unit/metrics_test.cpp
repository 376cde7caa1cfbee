// Tests for the Prometheus metrics text: every family with HELP and TYPE, a sample per
// database with a value, label values escaped per the text format.
#include "notify/metrics.h"

#include <gtest/gtest.h>

namespace bb {
namespace {

TEST(Metrics, LabelValuesAreEscaped) {
  EXPECT_EQ(prometheus_label_value("plain"), "plain");
  EXPECT_EQ(prometheus_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(Metrics, RendersEveryDatabaseFromStateAndStore) {
  std::map<std::string, DatabaseState> state;
  DatabaseState shop;
  shop.backup_at = parse_iso_utc("2026-12-01T04:00:10Z");
  shop.backup_ok = true;
  shop.dump_bytes = 10240;
  shop.stored_bytes = 2048;
  shop.backup_seconds = 2.5;
  shop.verified_at = parse_iso_utc("2026-12-01T06:00:00Z");
  shop.verify_ok = true;
  state["shop"] = shop;
  DatabaseState crm;
  crm.backup_at = parse_iso_utc("2026-12-01T04:00:20Z");
  crm.backup_ok = false;
  crm.backup_seconds = 1;
  state["crm \"x\""] = crm;
  std::map<std::string, StoredBackups> stored;
  stored["shop"] = StoredBackups{3, 6144, *utc_time(2026, 12, 1, 4, 0, 0)};
  std::string text = render_metrics(state, stored);
  EXPECT_NE(text.find("# HELP backupbuddy_last_success_timestamp_seconds "), std::string::npos);
  EXPECT_NE(text.find("# TYPE backupbuddy_last_success_timestamp_seconds gauge\n"
                      "backupbuddy_last_success_timestamp_seconds{database=\"shop\"} 1796097600\n"),
            std::string::npos);
  EXPECT_NE(text.find("backupbuddy_last_run_success{database=\"crm \\\"x\\\"\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("backupbuddy_last_run_success{database=\"shop\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("backupbuddy_last_run_duration_seconds{database=\"shop\"} 2.5\n"), std::string::npos);
  EXPECT_NE(text.find("backupbuddy_backup_stored_bytes{database=\"shop\"} 6144\n"), std::string::npos);
  EXPECT_NE(text.find("backupbuddy_backups{database=\"shop\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("backupbuddy_backups{database=\"crm \\\"x\\\"\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("backupbuddy_last_verification_timestamp_seconds{database=\"shop\"} 1796104800\n"),
            std::string::npos);
  EXPECT_EQ(text.find("backupbuddy_last_success_timestamp_seconds{database=\"crm"), std::string::npos)
      << "a database that never succeeded has no last success";
  // Every family has HELP and TYPE, even without samples.
  for (const char* family : {"backupbuddy_last_success_timestamp_seconds", "backupbuddy_last_run_success",
                             "backupbuddy_last_run_duration_seconds", "backupbuddy_backup_stored_bytes",
                             "backupbuddy_backups", "backupbuddy_last_verification_timestamp_seconds"}) {
    EXPECT_NE(text.find(std::string("# HELP ") + family + " "), std::string::npos) << family;
    EXPECT_NE(text.find(std::string("# TYPE ") + family + " gauge\n"), std::string::npos) << family;
  }
}

TEST(Metrics, WithoutAStoreListingTheStoreFamiliesAreEmpty) {
  std::map<std::string, DatabaseState> state;
  state["shop"].backup_at = parse_iso_utc("2026-12-01T04:00:10Z");
  state["shop"].backup_ok = true;
  std::string text = render_metrics(state, std::nullopt);
  EXPECT_EQ(text.find("backupbuddy_backups{"), std::string::npos);
  EXPECT_NE(text.find("backupbuddy_last_success_timestamp_seconds{database=\"shop\"} 1796097610\n"), std::string::npos);
}

}  // namespace
}  // namespace bb
