// Tests for what the e-mail, webhook and heartbeat channels send: subjects that name the
// server and the outcome, the e-mail message, each webhook format, the signature and the
// heartbeat URLs.
#include "notify/notice.h"

#include <gtest/gtest.h>

#include "util/time.h"

namespace bb {
namespace {

const TimePoint kNow = *utc_time(2026, 12, 1, 4, 0, 30);
const TimePoint kStart = *utc_time(2026, 12, 1, 4, 0, 0);

BackupResult ok(const std::string& db) {
  BackupResult r;
  r.database = db;
  r.ok = true;
  r.id = "20261201T040000Z";
  r.stored_bytes = 2048;
  r.dump_bytes = 10240;
  r.seconds = 3.25;
  return r;
}

BackupResult failed(const std::string& db, const std::string& why) {
  BackupResult r;
  r.database = db;
  r.error = why;
  return r;
}

std::string base64_decode(const std::string& text) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned value = 0;
  int bits = 0;
  for (char c : text) {
    auto pos = kAlphabet.find(c);
    if (pos == std::string::npos) continue;
    value = (value << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((value >> bits) & 0xFF));
    }
  }
  return out;
}

TEST(Notice, SubjectsNameTheServerAndTheOutcome) {
  std::vector<BackupResult> mixed{ok("a"), failed("b", "database \"b\" does not exist"), ok("c")};
  Notice n = run_finished_notice(mixed, {}, "db1", "en", kStart, kNow);
  EXPECT_EQ(n.subject, "db1: 1 of 3 databases failed");
  EXPECT_EQ(n.outcome, Outcome::kFailure);
  BackupResult warned = ok("a");
  warned.warnings = {"dump shrank"};
  EXPECT_EQ(run_finished_notice({warned, ok("c")}, {}, "db1", "en", kStart, kNow).subject,
            "db1: 2 databases backed up, 1 with warnings");
  EXPECT_EQ(run_outcome({warned, ok("c")}), Outcome::kWarning);
  EXPECT_EQ(run_finished_notice({ok("a"), ok("c")}, {}, "db1", "en", kStart, kNow).subject, "db1: all 2 databases backed up");
  EXPECT_EQ(run_finished_notice({ok("a")}, {}, "db1", "en", kStart, kNow).subject, "db1: a backed up");
  EXPECT_EQ(run_finished_notice(mixed, {}, "db1", "ru", kStart, kNow).subject, "db1: не сохранено баз: 1 из 3");
  EXPECT_EQ(backup_failed_notice(mixed[1], "db1", "en", kNow).subject, "db1: b was not backed up");
  EXPECT_EQ(test_notice("db1", "en", kNow).subject, "db1: BackupBuddy test message");
}

TEST(Notice, JsonDetailsCarryServerRunAndEveryDatabase) {
  Notice n = run_finished_notice({ok("shop"), failed("crm", "pg_dump failed")}, {"⚠️ extra"}, "db1", "en", kStart, kNow);
  const auto& j = n.details;
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["server"], "db1");
  EXPECT_EQ(j["event"], "run_finished");
  EXPECT_EQ(j["outcome"], "failure");
  EXPECT_EQ(j["run"]["started_at"], "2026-12-01T04:00:00Z");
  EXPECT_EQ(j["run"]["finished_at"], "2026-12-01T04:00:30Z");
  EXPECT_EQ(j["run"]["seconds"], 30.0);
  EXPECT_EQ(j["run"]["failed"], 1);
  EXPECT_EQ(j["databases"][0]["database"], "shop");
  EXPECT_EQ(j["databases"][0]["stored_bytes"], 2048);
  EXPECT_TRUE(j["databases"][0]["reason"].is_null());
  EXPECT_EQ(j["databases"][1]["reason"], "pg_dump failed");
  EXPECT_TRUE(j["databases"][1]["backup_id"].is_null());
  EXPECT_NE(n.text.find("\n⚠️ extra"), std::string::npos);
  EXPECT_EQ(webhook_body(n, "json"), j.dump());
}

TEST(Notice, WebhookFormatsFitEachApi) {
  Notice n = run_finished_notice({failed("crm", "pg_dump failed")}, {}, "db1", "en", std::nullopt, kNow);
  auto slack = nlohmann::json::parse(webhook_body(n, "slack"));
  EXPECT_EQ(slack["text"], "*db1: 1 of 1 databases failed*\n" + n.text);
  auto mattermost = nlohmann::json::parse(webhook_body(n, "mattermost"));
  EXPECT_EQ(mattermost["text"], "**db1: 1 of 1 databases failed**\n" + n.text);
  EXPECT_EQ(mattermost["username"], "BackupBuddy");
  auto discord = nlohmann::json::parse(webhook_body(n, "discord"));
  EXPECT_EQ(discord["content"], "**db1: 1 of 1 databases failed**\n" + n.text);
  auto teams = nlohmann::json::parse(webhook_body(n, "teams"));
  EXPECT_EQ(teams["@type"], "MessageCard");
  EXPECT_EQ(teams["themeColor"], "D70000");
  EXPECT_EQ(teams["title"], "db1: 1 of 1 databases failed");
  EXPECT_EQ(teams["text"].get<std::string>().find("\n\n❌ crm"), n.text.find("\n❌ crm"));
  EXPECT_TRUE(nlohmann::json::parse(webhook_body(n, "json"))["run"]["started_at"].is_null());
  // Discord refuses content over 2000 characters: long reports are cut.
  std::vector<BackupResult> many;
  for (int i = 0; i < 200; ++i) many.push_back(failed("database_" + std::to_string(i), "a long reason for the failure"));
  auto long_discord = nlohmann::json::parse(webhook_body(run_finished_notice(many, {}, "db1", "en", std::nullopt, kNow), "discord"));
  EXPECT_LE(long_discord["content"].get<std::string>().size(), 2000u);
}

TEST(Notice, SignatureIsHmacSha256OfTheExactBody) {
  // RFC 4231 test case 2.
  EXPECT_EQ(webhook_signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Notice, HeartbeatUrlsFollowThePushConvention) {
  EXPECT_EQ(heartbeat_url("https://hc-ping.com/abc", "/start"), "https://hc-ping.com/abc/start");
  EXPECT_EQ(heartbeat_url("https://hc-ping.com/abc/", "/fail"), "https://hc-ping.com/abc/fail");
  EXPECT_EQ(heartbeat_url("https://hc-ping.com/abc", ""), "https://hc-ping.com/abc");
  EXPECT_EQ(heartbeat_url("https://kuma/api/push/x?status=up", "/fail"), "https://kuma/api/push/x/fail?status=up");
}

TEST(Notice, EmailIsPlainTextWithEncodedSubjectAndCrlfLines) {
  Notice n = run_finished_notice({ok("shop"), failed("crm", "pg_dump failed")}, {}, "db1", "en", kStart, kNow);
  std::string mail = format_email(n, "bb@example.com", {"a@example.com", "b@example.com"}, kNow, "seed");
  auto split = mail.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  std::string headers = mail.substr(0, split + 2);
  EXPECT_NE(headers.find("From: BackupBuddy <bb@example.com>\r\n"), std::string::npos);
  EXPECT_NE(headers.find("To: a@example.com, b@example.com\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Subject: db1: 1 of 2 databases failed\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Date: Tue, 01 Dec 2026 04:00:30 +0000\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Content-Transfer-Encoding: base64\r\n"), std::string::npos);
  std::string body = base64_decode(mail.substr(split + 4));
  EXPECT_EQ(body, "BackupBuddy: 1 of 2 database(s) FAILED — the other backups are fine.\r\n"
                  "❌ crm: not backed up — pg_dump failed\r\n"
                  "✅ shop: 2.0 KiB stored (10 KiB dump), 3.2 s\r\n\r\n-- \r\nBackupBuddy on db1\r\n");
  for (std::size_t pos = 0, next; (next = mail.find("\r\n", pos)) != std::string::npos; pos = next + 2)
    EXPECT_LE(next - pos, 78u) << "a mail line longer than 78 characters";
  // A Russian subject is an RFC 2047 encoded word.
  std::string ru = format_email(run_finished_notice({ok("shop")}, {}, "db1", "ru", kStart, kNow), "bb@example.com",
                                {"a@example.com"}, kNow, "seed");
  EXPECT_NE(ru.find("Subject: =?UTF-8?B?"), std::string::npos);
}

}  // namespace
}  // namespace bb
