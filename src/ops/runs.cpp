// Run records in the store: the JSON shape, writing with the keep-100 trim, reading back.
#include "ops/runs.h"

#include <algorithm>
#include <map>

#include "ops/json.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"
#include "util/process.h"
#include "version.h"

namespace bb {
namespace {

using ojson = nlohmann::ordered_json;

constexpr const char* kFormat = "backupbuddy-run";
constexpr int kFormatVersion = 1;
// A record lists every database of one run: 16 MiB is far beyond any real one.
constexpr std::uint64_t kMaxRunRecordBytes = 16ull << 20;

std::string text_or_empty(const ojson& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

BackupResult result_from_json(const ojson& j) {
  BackupResult r;
  r.database = text_or_empty(j, "database");
  r.ok = j.value("ok", false);
  r.id = text_or_empty(j, "id");
  r.dump_bytes = j.value("dump_bytes", std::uint64_t{0});
  r.stored_bytes = j.value("stored_bytes", std::uint64_t{0});
  r.seconds = j.value("seconds", 0.0);
  r.error = text_or_empty(j, "error");
  r.verified = j.value("verified", false);
  if (j.contains("warnings") && j["warnings"].is_array())
    for (const auto& w : j["warnings"])
      if (w.is_string()) r.warnings.push_back(w.get<std::string>());
  r.first_backup = j.value("first_backup", false);
  r.vanished = j.value("vanished", false);
  r.database_missing = j.value("database_missing", false);
  return r;
}

// The work of parse_run_record (which turns nlohmann's type errors into OperationError).
RunRecord parse_run_record_json(const std::string& text) {
  ojson j = ojson::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || text_or_empty(j, "format") != kFormat)
    throw OperationError("not a BackupBuddy run record (no \"format\": \"backupbuddy-run\")");
  if (!j.contains("format_version") || !j["format_version"].is_number_integer() ||
      j["format_version"].get<int>() > kFormatVersion)
    throw OperationError("run record of a newer format_version than " + std::to_string(kFormatVersion) +
                         " — upgrade BackupBuddy to read it");
  RunRecord record;
  record.server = text_or_empty(j, "server");
  record.id = text_or_empty(j, "id");
  record.command = text_or_empty(j, "command");
  record.error = text_or_empty(j, "error");
  record.tool_version = text_or_empty(j, "tool_version");
  auto start = parse_iso_utc(text_or_empty(j, "started_at"));
  auto end = parse_iso_utc(text_or_empty(j, "finished_at"));
  if (!start || !end) throw OperationError("run record without a valid started_at / finished_at");
  record.started_at = *start;
  // The stored times have whole seconds; "seconds" keeps the exact duration (when plausible).
  double seconds = j.value("seconds", -1.0);
  record.finished_at = seconds >= 0 && seconds < 366 * 86400.0
                           ? *start + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                          std::chrono::duration<double>(seconds))
                           : *end;
  if (j.contains("results") && j["results"].is_array())
    for (const auto& r : j["results"])
      if (r.is_object()) record.results.push_back(result_from_json(r));
  return record;
}

}  // namespace

std::size_t RunRecord::databases() const {
  return static_cast<std::size_t>(
      std::count_if(results.begin(), results.end(), [](const BackupResult& r) { return !r.vanished; }));
}

std::size_t RunRecord::backed_up() const {
  return static_cast<std::size_t>(
      std::count_if(results.begin(), results.end(), [](const BackupResult& r) { return r.ok && !r.vanished; }));
}

bool RunRecord::ok() const { return error.empty() && backed_up() == databases(); }

std::string run_server_name(const Config& config) {
  return config.backup.server_name.empty() ? host_name() : config.backup.server_name;
}

RunRecord begin_run_record(const Config& config, const std::string& command, TimePoint now) {
  RunRecord record;
  record.server = run_server_name(config);
  record.id = format_run_id(now);
  record.started_at = now;
  record.finished_at = now;
  record.command = command;
  record.tool_version = BACKUPBUDDY_VERSION;
  return record;
}

ojson run_record_json(const RunRecord& record) {
  ojson results = ojson::array();
  for (const auto& r : record.results) {
    ojson j = backup_result_json(r);
    j["vanished"] = r.vanished;
    j["database_missing"] = r.database_missing;
    results.push_back(std::move(j));
  }
  auto seconds = std::chrono::duration<double>(record.finished_at - record.started_at).count();
  return ojson{{"format", kFormat},
               {"format_version", kFormatVersion},
               {"server", record.server},
               {"id", record.id},
               {"command", record.command},
               {"started_at", format_iso_utc(record.started_at)},
               {"finished_at", format_iso_utc(record.finished_at)},
               {"seconds", seconds},
               {"ok", record.ok()},
               {"databases", record.databases()},
               {"backed_up", record.backed_up()},
               {"error", record.error.empty() ? ojson(nullptr) : ojson(record.error)},
               {"tool_version", record.tool_version},
               {"results", results}};
}

RunRecord parse_run_record(const std::string& text) {
  try {
    return parse_run_record_json(text);
  } catch (const nlohmann::json::exception&) {  // a field of the wrong type
    throw OperationError("a field of the run record has the wrong type (written by another tool?)");
  }
}

void store_run_record(Storage& storage, const RunRecord& record) {
  std::string key = run_key(record.server, record.id);
  try {
    storage.put(key, run_record_json(record).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    log::debug("stored the run record " + key);
  } catch (const std::exception& e) {
    log::warn("the run record " + key + " was not stored (the console will not show this run): " +
              log::mask_secrets(e.what()));
    return;
  }
  try {
    std::vector<std::string> ids;
    for (const auto& obj : storage.list(server_runs_folder(record.server)))
      if (auto parsed = parse_run_key(obj.key); parsed && parsed->server == record.server) ids.push_back(obj.key);
    if (ids.size() <= kRunRecordsKept) return;
    std::sort(ids.begin(), ids.end());  // same server, same length: key order is time order
    ids.resize(ids.size() - kRunRecordsKept);
    storage.remove(ids);
    log::debug("deleted " + std::to_string(ids.size()) + " old run record(s) of " + quote_name(record.server));
  } catch (const std::exception& e) {
    log::warn("old run records of " + quote_name(record.server) + " were not deleted: " + log::mask_secrets(e.what()));
  }
}

std::vector<RunKey> list_run_keys(Storage& storage) {
  std::vector<RunKey> keys;
  for (const auto& obj : storage.list(runs_folder())) {
    auto parsed = parse_run_key(obj.key);
    if (!parsed) continue;
    if (obj.size > kMaxRunRecordBytes) {  // not what BackupBuddy writes; never read whole
      log::warn("run record " + obj.key + " is skipped: " + std::to_string(obj.size) + " bytes, more than any run record");
      continue;
    }
    keys.push_back(*parsed);
  }
  std::sort(keys.begin(), keys.end(), [](const RunKey& a, const RunKey& b) {
    if (a.time != b.time) return a.time > b.time;
    return a.server < b.server;
  });
  return keys;
}

RunRecord read_run_record(Storage& storage, const RunKey& key) {
  std::string k = run_key(key.server, key.id);
  RunRecord record;
  try {
    record = parse_run_record(storage.get(k));
  } catch (const OperationError& e) {
    throw OperationError("run record " + k + ": " + e.what());
  }
  // The key names the run; a record claiming another is shown under its key.
  record.server = key.server;
  record.id = key.id;
  return record;
}

std::vector<RunRecord> last_runs_by_server(Storage& storage) {
  std::map<std::string, RunRecord> newest;
  for (const auto& key : list_run_keys(storage)) {
    if (newest.count(key.server)) continue;
    try {
      newest[key.server] = read_run_record(storage, key);
    } catch (const NotFoundError&) {
      // deleted by that server's trim since the listing
    } catch (const OperationError& e) {
      log::warn(e.what());
    }
  }
  std::vector<RunRecord> out;
  for (auto& [server, record] : newest) out.push_back(std::move(record));
  return out;
}

std::vector<RunRecord> newest_per_server(const std::vector<RunRecord>& newest_first) {
  std::map<std::string, const RunRecord*> newest;
  for (const auto& run : newest_first) newest.emplace(run.server, &run);  // the first of each stays
  std::vector<RunRecord> out;
  for (const auto& [server, run] : newest) out.push_back(*run);
  return out;
}

}  // namespace bb
