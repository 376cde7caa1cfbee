// Prometheus metrics.
#include "notify/metrics.h"

#include <cstdio>
#include <set>

#include "ops/context.h"
#include "ops/list.h"
#include "state/deliveries.h"
#include "util/log.h"
#include "util/timezone.h"

namespace bb {
namespace {

std::optional<double> epoch_seconds(const std::optional<TimePoint>& time) {
  if (!time) return std::nullopt;
  return std::chrono::duration<double>(time->time_since_epoch()).count();
}

double epoch_seconds(TimePoint time) { return std::chrono::duration<double>(time.time_since_epoch()).count(); }

std::string number(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", value);
  std::string out = buf;
  // Whole numbers as integers (sizes, counts, timestamps of whole seconds).
  if (value == static_cast<double>(static_cast<long long>(value)) && value < 9e15 && value > -9e15)
    out = std::to_string(static_cast<long long>(value));
  return out;
}

// One metric family: HELP, TYPE, then a sample per database that has a value.
struct Family {
  const char* name;
  const char* help;
  std::vector<std::pair<std::string, double>> samples;
};

}  // namespace

std::string prometheus_label_value(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string render_metrics(const std::map<std::string, DatabaseState>& state,
                           const std::optional<std::map<std::string, StoredBackups>>& stored) {
  std::set<std::string> databases;
  for (const auto& [db, s] : state) databases.insert(db);
  if (stored)
    for (const auto& [db, s] : *stored) databases.insert(db);

  Family last_success{"backupbuddy_last_success_timestamp_seconds",
                      "When the newest backup of the database was made (Unix time).", {}};
  Family last_run{"backupbuddy_last_run_timestamp_seconds", "When the last backup run of the database ended (Unix time).", {}};
  Family run_ok{"backupbuddy_last_run_success", "1 when the last backup run of the database succeeded, else 0.", {}};
  Family duration{"backupbuddy_last_run_duration_seconds", "How long the last backup run of the database took.", {}};
  Family dumped{"backupbuddy_last_run_dump_bytes", "pg_dump output of the last successful run, before compression.", {}};
  Family stored_bytes{"backupbuddy_backup_stored_bytes", "Bytes stored for all backups of the database.", {}};
  Family count{"backupbuddy_backups", "Number of backups of the database in the store.", {}};
  Family verified{"backupbuddy_last_verification_timestamp_seconds",
                  "When the newest backup of the database was last verified (Unix time).", {}};
  Family verify_ok{"backupbuddy_last_verification_success", "1 when the last verification passed, else 0.", {}};

  for (const auto& db : databases) {
    auto s = state.find(db);
    const DatabaseState* st = s == state.end() ? nullptr : &s->second;
    const StoredBackups* sb = nullptr;
    if (stored)
      if (auto it = stored->find(db); it != stored->end()) sb = &it->second;
    // The newest backup in the store is the last success; without a listing, the state's
    // last run when it succeeded.
    if (sb && sb->newest) last_success.samples.emplace_back(db, epoch_seconds(*sb->newest));
    else if (st && st->backup_ok)
      if (auto t = epoch_seconds(st->backup_at)) last_success.samples.emplace_back(db, *t);
    if (st && st->backup_at) {
      if (auto t = epoch_seconds(st->backup_at)) last_run.samples.emplace_back(db, *t);
      run_ok.samples.emplace_back(db, st->backup_ok ? 1 : 0);
      duration.samples.emplace_back(db, st->backup_seconds);
      if (st->backup_ok) dumped.samples.emplace_back(db, static_cast<double>(st->dump_bytes));
    }
    if (stored) {
      stored_bytes.samples.emplace_back(db, sb ? static_cast<double>(sb->stored_bytes) : 0);
      count.samples.emplace_back(db, sb ? static_cast<double>(sb->count) : 0);
    }
    if (st && st->verified_at) {
      if (auto t = epoch_seconds(st->verified_at)) verified.samples.emplace_back(db, *t);
      verify_ok.samples.emplace_back(db, st->verify_ok ? 1 : 0);
    }
  }

  std::string out;
  for (const Family* f : {&last_success, &last_run, &run_ok, &duration, &dumped, &stored_bytes, &count, &verified, &verify_ok}) {
    out += std::string("# HELP ") + f->name + " " + f->help + "\n";
    out += std::string("# TYPE ") + f->name + " gauge\n";
    for (const auto& [db, value] : f->samples)
      out += std::string(f->name) + "{database=\"" + prometheus_label_value(db) + "\"} " + number(value) + "\n";
  }
  return out;
}

std::string current_metrics(const Config& config) {
  auto state = StateStore(state_directory(config.backup.state_dir)).load();
  std::optional<std::map<std::string, StoredBackups>> stored;
  try {
    RunContext ctx(config);
    StoreOverview overview = list_overview(ctx);
    stored.emplace();
    for (const auto& d : overview.databases)
      (*stored)[d.name] = StoredBackups{d.count, d.stored_bytes, d.count ? std::optional<TimePoint>(d.newest.time) : std::nullopt};
  } catch (const std::exception& e) {
    log::warn("metrics: cannot list the store (" + log::mask_secrets(e.what()) +
              "); backupbuddy_backups and backupbuddy_backup_stored_bytes are left out this time");
  }
  return render_metrics(state, stored);
}

void write_metrics_textfile(const Config& config) {
  if (config.metrics.textfile.empty()) return;
  try {
    write_file_atomically(config.metrics.textfile, current_metrics(config),
                          "check [metrics] textfile: its folder must exist and be writable");
  } catch (const std::exception& e) {
    log::warn("metrics: " + log::mask_secrets(e.what()));
  }
}

}  // namespace bb
