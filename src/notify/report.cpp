// Run reports.
#include "notify/report.h"

#include <algorithm>
#include <map>

#include "state/state.h"
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
  const char* unproven;    // {db} {when}
  const char* never;       // "never"
  const char* drill_ok;    // {n}
  const char* drill_failed;  // {failed} {n}
  const char* drill_line_ok;  // {db} {id} {tables} {rows}
  const char* drill_line_failed;  // {db} {id} {why}
};

const ReportText kEnglish{
    "BackupBuddy: all {n} database(s) backed up.",
    "BackupBuddy: {failed} of {n} database(s) FAILED — the other backups are fine.",
    "❌ {db}: not backed up — {why}",
    "✅ {db}: {stored} stored ({dump} dump), {time}",
    "⚠️ {text}",
    "❌ BackupBuddy: {db} was not backed up — {why}",
    "⚠️ {db}: not proven restorable since {when} — run `backupbuddy verify --restore-test {db}`",
    "never",
    "BackupBuddy restore drill: all {n} database(s) restored and checked.",
    "BackupBuddy restore drill: {failed} of {n} database(s) FAILED to restore.",
    "✅ {db}: backup {id} restores ({tables} tables, {rows} rows, all as in the backup)",
    "❌ {db}: backup {id} does NOT restore — {why}",
};

const ReportText kRussian{
    "BackupBuddy: все базы ({n}) сохранены.",
    "BackupBuddy: не сохранено баз: {failed} из {n} — остальные копии в порядке.",
    "❌ {db}: копия не создана — {why}",
    "✅ {db}: сохранено {stored} (дамп {dump}), {time}",
    "⚠️ {text}",
    "❌ BackupBuddy: не удалось сохранить {db} — {why}",
    "⚠️ {db}: восстановление не проверялось с {when} — запустите `backupbuddy verify --restore-test {db}`",
    "никогда",
    "BackupBuddy, проверка восстановления: все базы ({n}) восстановлены и проверены.",
    "BackupBuddy, проверка восстановления: не восстановилось баз: {failed} из {n}.",
    "✅ {db}: копия {id} восстанавливается (таблиц: {tables}, строк: {rows}, всё как в копии)",
    "❌ {db}: копия {id} НЕ восстанавливается — {why}",
};

const ReportText& text_for(const std::string& language) { return language == "en" ? kEnglish : kRussian; }

}  // namespace

// "new: db3, db4" / "gone from the server: db5 (its backups are kept)" lines of a run
// with all_databases (issue 18).
std::string new_and_vanished(const std::vector<BackupResult>& all, const std::string& language) {
  std::string fresh, gone;
  for (const auto& r : all) {
    if (r.first_backup) fresh += (fresh.empty() ? "" : ", ") + display_text(r.database);
    if (r.vanished) gone += (gone.empty() ? "" : ", ") + display_text(r.database);
  }
  bool en = language == "en";
  std::string out;
  if (!fresh.empty()) out += std::string(en ? "\n🆕 new: " : "\n🆕 новые: ") + fresh;
  if (!gone.empty())
    out += std::string(en ? "\n⚠️ gone from the server: " : "\n⚠️ пропали с сервера: ") + gone +
           (en ? " (their backups are kept)" : " (их копии сохранены)");
  return out;
}

std::string format_run_report(const std::vector<BackupResult>& all, const std::string& language) {
  std::vector<BackupResult> results;
  for (const auto& r : all)
    if (!r.vanished) results.push_back(r);
  const ReportText& t = text_for(language);
  std::vector<const BackupResult*> order;
  for (const auto& r : results) order.push_back(&r);
  std::stable_partition(order.begin(), order.end(), [](const BackupResult* r) { return !r->ok; });
  std::size_t failed = std::count_if(results.begin(), results.end(), [](const BackupResult& r) { return !r.ok; });
  std::string out = failed == 0 ? fill_placeholders(t.all_ok, {{"n", std::to_string(results.size())}})
                                : fill_placeholders(t.some_failed, {{"failed", std::to_string(failed)},
                                                       {"n", std::to_string(results.size())}});
  for (const BackupResult* r : order) {
    out += "\n";
    if (!r->ok)
      out += fill_placeholders(t.failed_line, {{"db", r->database}, {"why", r->error}});
    else
      out += fill_placeholders(t.ok_line, {{"db", r->database}, {"stored", human_bytes(r->stored_bytes)},
                              {"dump", human_bytes(r->dump_bytes)}, {"time", human_seconds(r->seconds)}});
    for (const auto& w : r->warnings) out += "\n" + fill_placeholders(t.warning_line, {{"text", w}});
  }
  return out + new_and_vanished(all, language);
}

std::vector<std::string> restore_proof_warnings(const Config& config, const std::vector<std::string>& databases) {
  std::vector<std::string> out;
  if (!config.verify.schedule) return out;
  const ReportText& t = text_for(config.telegram.language);
  std::map<std::string, DatabaseState> state;
  try {
    state = StateStore(state_directory(config.backup.state_dir)).load();
  } catch (const std::exception&) {
  }
  const auto* zone = resolve_zone(config.backup.timezone);
  auto now = std::chrono::system_clock::now();
  for (const auto& db : databases) {
    auto it = state.find(db);
    bool proven = it != state.end() && it->second.verify_ok && it->second.restore_tested &&
                  it->second.verified_at && now - *it->second.verified_at <= config.verify.max_age;
    if (proven) continue;
    std::string when = it == state.end() || !it->second.verified_at || !it->second.restore_tested
                           ? std::string(t.never)
                           : format_local(*it->second.verified_at, zone);
    out.push_back(fill_placeholders(t.unproven, {{"db", db}, {"when", when}}));
  }
  return out;
}

std::string format_drill_report(const std::vector<VerifyResult>& results, const std::string& language) {
  const ReportText& t = text_for(language);
  std::size_t failed = std::count_if(results.begin(), results.end(), [](const VerifyResult& r) { return !r.ok; });
  std::string out = failed == 0 ? fill_placeholders(t.drill_ok, {{"n", std::to_string(results.size())}})
                                : fill_placeholders(t.drill_failed, {{"failed", std::to_string(failed)},
                                                        {"n", std::to_string(results.size())}});
  for (const auto& r : results)
    out += "\n" + (r.ok ? fill_placeholders(t.drill_line_ok, {{"db", r.database}, {"id", r.id}, {"tables", std::to_string(r.tables)},
                                                 {"rows", std::to_string(r.rows)}})
                        : fill_placeholders(t.drill_line_failed, {{"db", r.database}, {"id", r.id}, {"why", r.error}}));
  return out;
}

std::string format_failure_alert(const BackupResult& result, const std::string& language) {
  return fill_placeholders(text_for(language).alert, {{"db", result.database}, {"why", result.error}});
}

}  // namespace bb
