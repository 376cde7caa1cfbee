// Manifest JSON round trip and rejection of damaged manifests.
#include "catalog/manifest.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace bb {
namespace {

Manifest sample() {
  Manifest m;
  m.database = "бухгалтерия \"main\"";
  m.id = "20260903T040000Z";
  m.data_key = data_key(m.database, m.id, false);
  m.server_version = "15.18";
  m.pg_dump_version = "pg_dump (PostgreSQL) 15.18";
  m.started_at = *parse_backup_id("20260903T040000Z");
  m.finished_at = *parse_backup_id("20260903T040212Z");
  m.dump_bytes = 5'000'000'000ull;
  m.stored_bytes = 1'234'567'890ull;
  m.sha256 = std::string(64, 'a');
  m.compression_level = 3;
  m.tool_version = "0.1.0";
  m.encoding = "UTF8";
  m.collate = "ru_RU.UTF-8";
  m.ctype = "ru_RU.UTF-8";
  m.table_count = 42;
  m.database_size_bytes = 7'000'000'000ull;
  m.row_counts[{"public", "invoices"}] = 123456;
  m.row_counts[{"учёт", "Order Lines \"2024\""}] = 0;
  return m;
}

TEST(Manifest, RoundTrip) {
  Manifest m = sample();
  Manifest back = manifest_from_json(manifest_to_json(m), "x.json");
  EXPECT_EQ(back.database, m.database);
  EXPECT_EQ(back.id, m.id);
  EXPECT_EQ(back.data_key, m.data_key);
  EXPECT_EQ(back.started_at, m.started_at);
  EXPECT_EQ(back.finished_at, m.finished_at);
  EXPECT_EQ(back.dump_bytes, m.dump_bytes);
  EXPECT_EQ(back.stored_bytes, m.stored_bytes);
  EXPECT_EQ(back.sha256, m.sha256);
  EXPECT_EQ(back.collate, m.collate);
  EXPECT_EQ(back.table_count, 42);
  EXPECT_EQ(back.row_counts, m.row_counts);
  EXPECT_TRUE(back.encryption_recipients.empty());
}

TEST(Manifest, KnowsWhetherRowCountsWereRecorded) {
  std::string json = manifest_to_json(sample());
  EXPECT_TRUE(manifest_from_json(json, "x").row_counts_recorded);
  std::size_t start = json.find("\"row_counts\"");
  ASSERT_NE(start, std::string::npos);
  std::size_t end = json.find(']', start);
  std::string old = json.substr(0, start) + json.substr(end + 1);
  // Drop the comma left before the removed member.
  std::size_t comma = old.rfind(',', start);
  old.erase(comma, 1);
  Manifest back = manifest_from_json(old, "x");
  EXPECT_FALSE(back.row_counts_recorded);
  EXPECT_TRUE(back.row_counts.empty());
}

TEST(Manifest, RecordsRecipientsNeverSecrets) {
  Manifest m = sample();
  m.encryption_recipients = {"age1examplepublickey"};
  std::string json = manifest_to_json(m);
  EXPECT_NE(json.find("age1examplepublickey"), std::string::npos);
  EXPECT_EQ(manifest_from_json(json, "x").encryption_recipients, m.encryption_recipients);
}

TEST(Manifest, DamagedManifestsAreRejectedWithTheirName) {
  std::string good = manifest_to_json(sample());
  for (const std::string& bad :
       {std::string("{not json"), std::string("{}"), good.substr(0, good.size() / 2),
        std::string(R"({"format":"backupbuddy-manifest","format_version":99})")}) {
    try {
      manifest_from_json(bad, "db/20260903T040000Z.json");
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const OperationError& e) {
      EXPECT_NE(std::string(e.what()).find("db/20260903T040000Z.json"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace bb
