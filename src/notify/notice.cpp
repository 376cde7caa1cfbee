// Notices and the channel formats.
#include "notify/notice.h"

#include <algorithm>
#include <ctime>

#include "notify/report.h"
#include "stream/sha256.h"
#include "util/format.h"

namespace bb {
namespace {

// The subjects, one table per language.
struct SubjectText {
  const char* run_failed;    // {server} {failed} {n}
  const char* run_warning;   // {server} {n} {warned}
  const char* run_ok;        // {server} {n}
  const char* run_ok_one;    // {server} {db}
  const char* run_started;   // {server}
  const char* db_failed;     // {server} {db}
  const char* drill_failed;  // {server} {failed} {n}
  const char* drill_ok;      // {server} {n}
  const char* alert;         // {server}
  const char* test;          // {server}
  const char* test_text;     // {server}
};

const SubjectText kEnglish{
    "{server}: {failed} of {n} databases failed",
    "{server}: {n} databases backed up, {warned} with warnings",
    "{server}: all {n} databases backed up",
    "{server}: {db} backed up",
    "{server}: backup run started",
    "{server}: {db} was not backed up",
    "{server}: restore drill — {failed} of {n} databases failed to restore",
    "{server}: restore drill — all {n} databases restore",
    "{server}: BackupBuddy alert",
    "{server}: BackupBuddy test message",
    "BackupBuddy on {server}: this is a test message from `backupbuddy check --notify`; this channel works.",
};

const SubjectText kRussian{
    "{server}: не сохранено баз: {failed} из {n}",
    "{server}: сохранено баз: {n}, с предупреждениями: {warned}",
    "{server}: все базы ({n}) сохранены",
    "{server}: {db} сохранена",
    "{server}: резервное копирование началось",
    "{server}: не удалось сохранить {db}",
    "{server}: проверка восстановления — не восстановилось баз: {failed} из {n}",
    "{server}: проверка восстановления — все базы ({n}) восстанавливаются",
    "{server}: BackupBuddy — внимание",
    "{server}: BackupBuddy — проверка канала",
    "BackupBuddy на {server}: проверочное сообщение от `backupbuddy check --notify`; этот канал работает.",
};

const SubjectText& subjects(const std::string& language) { return language == "en" ? kEnglish : kRussian; }

nlohmann::ordered_json json_or_null(const std::string& text) {
  return text.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(text);
}

Notice base(const std::string& event, Outcome outcome, const std::string& server, TimePoint now) {
  Notice n;
  n.event = event;
  n.outcome = outcome;
  n.server = server;
  n.details["version"] = 1;
  n.details["server"] = server;
  n.details["event"] = event;
  n.details["outcome"] = outcome_name(outcome);
  n.details["subject"] = nullptr;
  n.details["text"] = nullptr;
  n.details["at"] = format_iso_utc(now);
  return n;
}

void finish(Notice& n) {
  n.details["subject"] = n.subject;
  n.details["text"] = n.text;
}

nlohmann::ordered_json backup_json(const BackupResult& r) {
  return {{"database", r.database},
          {"ok", r.ok},
          {"backup_id", json_or_null(r.ok ? r.id : "")},
          {"dump_bytes", r.dump_bytes},
          {"stored_bytes", r.stored_bytes},
          {"seconds", r.seconds},
          {"reason", json_or_null(r.ok ? "" : r.error)},
          {"warnings", r.warnings}};
}

// RFC 5322 date in UTC, independent of the locale.
std::string mail_date(TimePoint time) {
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string base64(std::string_view data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  if (i < data.size()) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < data.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// A header value: as is when printable ASCII, else an RFC 2047 encoded word (UTF-8, base64)
// per at most 45 bytes of whole characters, so no header line grows past 78 columns.
std::string header_value(const std::string& text) {
  bool ascii = std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  if (ascii) return text;
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = std::min(text.size(), i + 45);
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // whole characters
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(std::string_view(text).substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

// Text without control characters other than line breaks (they are shown escaped).
std::string crlf_lines(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += "\r\n";
    else if (c != '\r') out.push_back(c);
  }
  return out;
}

std::string cut(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes - 3;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + "…";
}

}  // namespace

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kFailure: return "failure";
    case Outcome::kWarning: return "warning";
    default: return "success";
  }
}

Outcome run_outcome(const std::vector<BackupResult>& results) {
  bool warned = false;
  for (const auto& r : results) {
    if (!r.ok) return Outcome::kFailure;
    warned = warned || !r.warnings.empty();
  }
  return warned ? Outcome::kWarning : Outcome::kSuccess;
}

Notice run_started_notice(const std::string& server, const std::string& language, TimePoint now) {
  Notice n = base("run_started", Outcome::kSuccess, server, now);
  n.subject = fill_placeholders(subjects(language).run_started, {{"server", server}});
  n.text = n.subject;
  finish(n);
  return n;
}

Notice run_finished_notice(const std::vector<BackupResult>& all, const std::vector<std::string>& extra_lines,
                           const std::string& server, const std::string& language,
                           std::optional<TimePoint> started_at, TimePoint now) {
  // A database that vanished from the server was not backed up in this run: it is named in
  // the text and listed apart, never counted as one of the run's databases.
  std::vector<BackupResult> results;
  std::vector<std::string> fresh, vanished;
  for (const auto& r : all) {
    if (r.vanished) vanished.push_back(r.database);
    else results.push_back(r);
    if (r.first_backup) fresh.push_back(r.database);
  }
  Outcome outcome = run_outcome(results);
  Notice n = base("run_finished", outcome, server, now);
  std::size_t failed = 0, warned = 0;
  for (const auto& r : results) {
    failed += r.ok ? 0 : 1;
    warned += r.ok && !r.warnings.empty() ? 1 : 0;
  }
  const SubjectText& t = subjects(language);
  std::string count = std::to_string(results.size());
  n.subject = outcome == Outcome::kFailure
                  ? fill_placeholders(t.run_failed, {{"server", server}, {"failed", std::to_string(failed)}, {"n", count}})
              : outcome == Outcome::kWarning
                  ? fill_placeholders(t.run_warning, {{"server", server}, {"n", count}, {"warned", std::to_string(warned)}})
              : results.size() == 1 ? fill_placeholders(t.run_ok_one, {{"server", server}, {"db", results.front().database}})
                                    : fill_placeholders(t.run_ok, {{"server", server}, {"n", count}});
  n.text = format_run_report(all, language);
  for (const auto& line : extra_lines) n.text += "\n" + line;
  nlohmann::ordered_json run;
  run["started_at"] = started_at ? nlohmann::ordered_json(format_iso_utc(*started_at)) : nlohmann::ordered_json(nullptr);
  run["finished_at"] = format_iso_utc(now);
  run["seconds"] = started_at ? nlohmann::ordered_json(std::chrono::duration<double>(now - *started_at).count())
                              : nlohmann::ordered_json(nullptr);
  run["databases"] = results.size();
  run["failed"] = failed;
  run["warnings"] = warned;
  n.details["run"] = run;
  n.details["databases"] = nlohmann::ordered_json::array();
  for (const auto& r : results) n.details["databases"].push_back(backup_json(r));
  n.details["new"] = fresh;
  n.details["vanished"] = vanished;
  finish(n);
  return n;
}

Notice backup_failed_notice(const BackupResult& result, const std::string& server, const std::string& language,
                            TimePoint now) {
  Notice n = base("backup_failed", Outcome::kFailure, server, now);
  n.subject = fill_placeholders(subjects(language).db_failed, {{"server", server}, {"db", result.database}});
  n.text = format_failure_alert(result, language);
  n.details["databases"] = nlohmann::ordered_json::array({backup_json(result)});
  finish(n);
  return n;
}

Notice drill_notice(const std::vector<VerifyResult>& results, const std::string& server, const std::string& language,
                    TimePoint now) {
  std::size_t failed = std::count_if(results.begin(), results.end(), [](const VerifyResult& r) { return !r.ok; });
  Notice n = base("drill_finished", failed ? Outcome::kFailure : Outcome::kSuccess, server, now);
  const SubjectText& t = subjects(language);
  std::string count = std::to_string(results.size());
  n.subject = failed ? fill_placeholders(t.drill_failed, {{"server", server}, {"failed", std::to_string(failed)}, {"n", count}})
                     : fill_placeholders(t.drill_ok, {{"server", server}, {"n", count}});
  n.text = format_drill_report(results, language);
  n.details["databases"] = nlohmann::ordered_json::array();
  for (const auto& r : results)
    n.details["databases"].push_back({{"database", r.database},
                                      {"ok", r.ok},
                                      {"backup_id", json_or_null(r.id)},
                                      {"stored_bytes", r.stored_bytes},
                                      {"tables", r.tables},
                                      {"rows", r.rows},
                                      {"restore_tested", r.restore_tested},
                                      {"seconds", r.seconds},
                                      {"reason", json_or_null(r.ok ? "" : r.error)}});
  finish(n);
  return n;
}

Notice alert_notice(const std::string& text, const std::string& server, const std::string& language, TimePoint now) {
  Notice n = base("alert", Outcome::kFailure, server, now);
  n.subject = fill_placeholders(subjects(language).alert, {{"server", server}});
  n.text = text;
  finish(n);
  return n;
}

Notice test_notice(const std::string& server, const std::string& language, TimePoint now) {
  Notice n = base("test", Outcome::kSuccess, server, now);
  n.subject = fill_placeholders(subjects(language).test, {{"server", server}});
  n.text = fill_placeholders(subjects(language).test_text, {{"server", server}});
  finish(n);
  return n;
}

std::string format_email(const Notice& notice, const std::string& from, const std::vector<std::string>& to,
                         TimePoint date, const std::string& message_id_seed) {
  std::string recipients;
  for (const auto& a : to) recipients += (recipients.empty() ? "" : ", ") + a;
  std::string body = crlf_lines(notice.text + "\n\n-- \nBackupBuddy on " + notice.server + "\n");
  std::string encoded = base64(body);
  std::string out;
  out += "From: BackupBuddy <" + from + ">\r\n";
  out += "To: " + recipients + "\r\n";
  out += "Subject: " + header_value(notice.subject) + "\r\n";
  out += "Date: " + mail_date(date) + "\r\n";
  out += "Message-ID: <" + sha256_hex(message_id_seed + notice.subject + mail_date(date)).substr(0, 32) + "@backupbuddy>\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += std::string("X-BackupBuddy-Outcome: ") + outcome_name(notice.outcome) + "\r\n";
  out += "X-BackupBuddy-Event: " + notice.event + "\r\n";
  out += "\r\n";
  for (std::size_t i = 0; i < encoded.size(); i += 76) out += encoded.substr(i, 76) + "\r\n";
  return out;
}

std::string webhook_body(const Notice& notice, const std::string& format) {
  const auto dump = [](const nlohmann::ordered_json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  if (format == "slack") return dump({{"text", "*" + notice.subject + "*\n" + cut(notice.text, 35'000)}});
  if (format == "mattermost")
    return dump({{"username", "BackupBuddy"}, {"text", "**" + notice.subject + "**\n" + cut(notice.text, 15'000)}});
  if (format == "discord")
    return dump({{"username", "BackupBuddy"}, {"content", cut("**" + notice.subject + "**\n" + notice.text, 2000)}});
  if (format == "teams") {
    std::string text;  // Teams' markdown joins single line breaks: one paragraph per line
    for (char c : cut(notice.text, 20'000)) text += c == '\n' ? std::string("\n\n") : std::string(1, c);
    const char* color = notice.outcome == Outcome::kFailure   ? "D70000"
                        : notice.outcome == Outcome::kWarning ? "FFA500"
                                                              : "2EB886";
    return dump({{"@type", "MessageCard"},
                 {"@context", "https://schema.org/extensions"},
                 {"themeColor", color},
                 {"summary", notice.subject},
                 {"title", notice.subject},
                 {"text", text}});
  }
  return dump(notice.details);
}

std::string webhook_signature(const std::string& secret, const std::string& body) {
  return "sha256=" + hmac_sha256_hex(secret, body);
}

std::string heartbeat_url(const std::string& base, const std::string& suffix) {
  std::size_t query = base.find('?');
  std::string path = base.substr(0, query);
  while (!path.empty() && path.back() == '/' && path.find("://") + 3 < path.size()) path.pop_back();
  return path + suffix + (query == std::string::npos ? "" : base.substr(query));
}

}  // namespace bb
