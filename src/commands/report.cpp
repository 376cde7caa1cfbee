// Run reports.
#include "commands/report.h"

#include <algorithm>

#include "bot/telegram.h"
#include "util/format.h"
#include "util/log.h"
#include "util/timezone.h"

namespace bb {
namespace {

// The report's sentences, one table per language.
struct ReportText {
  const char* all_ok;      // {n}
  const char* some_failed; // {failed} {n}
  const char* failed_line; // {db} {why}
  const char* ok_line;     // {db} {stored} {dump} {time}
  const char* warning_line;  // {text}
  const char* alert;       // {db} {why}
};

const ReportText kEnglish{
    "BackupBuddy: all {n} database(s) backed up.",
    "BackupBuddy: {failed} of {n} database(s) FAILED — the other backups are fine.",
    "❌ {db}: not backed up — {why}",
    "✅ {db}: {stored} stored ({dump} dump), {time}",
    "⚠️ {text}",
    "❌ BackupBuddy: {db} was not backed up — {why}",
};

const ReportText kRussian{
    "BackupBuddy: все базы ({n}) сохранены.",
    "BackupBuddy: не сохранено баз: {failed} из {n} — остальные копии в порядке.",
    "❌ {db}: копия не создана — {why}",
    "✅ {db}: сохранено {stored} (дамп {dump}), {time}",
    "⚠️ {text}",
    "❌ BackupBuddy: не удалось сохранить {db} — {why}",
};

const ReportText& text_for(const std::string& language) { return language == "en" ? kEnglish : kRussian; }

std::string fill(std::string text, std::initializer_list<std::pair<const char*, std::string>> values) {
  for (const auto& [key, value] : values) {
    std::string marker = std::string("{") + key + "}";
    for (std::size_t pos = text.find(marker); pos != std::string::npos; pos = text.find(marker, pos + value.size()))
      text.replace(pos, marker.size(), value);
  }
  return text;
}

}  // namespace

std::string format_run_report(const std::vector<BackupResult>& results, const std::string& language,
                              const date::time_zone*) {
  const ReportText& t = text_for(language);
  std::vector<const BackupResult*> order;
  for (const auto& r : results) order.push_back(&r);
  std::stable_partition(order.begin(), order.end(), [](const BackupResult* r) { return !r->ok; });
  std::size_t failed = std::count_if(results.begin(), results.end(), [](const BackupResult& r) { return !r.ok; });
  std::string out = failed == 0 ? fill(t.all_ok, {{"n", std::to_string(results.size())}})
                                : fill(t.some_failed, {{"failed", std::to_string(failed)},
                                                       {"n", std::to_string(results.size())}});
  for (const BackupResult* r : order) {
    out += "\n";
    if (!r->ok)
      out += fill(t.failed_line, {{"db", r->database}, {"why", r->error}});
    else
      out += fill(t.ok_line, {{"db", r->database}, {"stored", human_bytes(r->stored_bytes)},
                              {"dump", human_bytes(r->dump_bytes)}, {"time", human_seconds(r->seconds)}});
    for (const auto& w : r->warnings) out += "\n" + fill(t.warning_line, {{"text", w}});
  }
  return out;
}

std::string format_failure_alert(const BackupResult& result, const std::string& language) {
  return fill(text_for(language).alert, {{"db", result.database}, {"why", result.error}});
}

void notify_admins(const Config& config, const std::string& text) {
  const TelegramConfig& tg = config.telegram;
  if (!tg.enabled() || !tg.notify || tg.admins.empty()) return;
  try {
    bot::TelegramApi api(tg.api_url, tg.token.value);
    for (std::int64_t admin : tg.admins) {
      try {
        api.send_message(admin, bot::fit_message(text));
      } catch (const std::exception& e) {
        log::warn("could not send the report to Telegram user " + std::to_string(admin) + ": " +
                  log::mask_secrets(e.what()));
      }
    }
  } catch (const std::exception& e) {
    log::warn(std::string("could not send the report to Telegram: ") + log::mask_secrets(e.what()));
  }
}

void send_run_report(const Config& config, const std::vector<BackupResult>& results) {
  if (results.empty()) return;
  notify_admins(config, format_run_report(results, config.telegram.language, resolve_zone(config.backup.timezone)));
}

}  // namespace bb
