// `backupbuddy prune`.
#include "commands/prune.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "storage/storage.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"
#include "util/timezone.h"

namespace bb {
namespace {

constexpr auto kStaleAge = std::chrono::hours(24);

}  // namespace

PruneReport prune_database(const Config& config, Storage& storage, const std::string& database, bool dry_run) {
  PruneReport report;
  report.database = database;
  report.dry_run = dry_run;
  Inventory inv;
  report.backups = list_database_backups(config, storage, database, &inv);
  report.plan = plan_retention(report.backups, policy_from(config.retention_for(database)),
                               resolve_zone(config.backup.timezone));
  std::vector<std::string> data_keys, manifest_keys;
  for (const BackupEntry* b : report.plan.drop()) {
    if (b == &report.backups.front())  // defence in depth: the policy never drops the newest
      throw OperationError("internal error: retention planned to delete the newest backup of \"" + database +
                           "\"; nothing was deleted");
    data_keys.push_back(b->data_key);
    if (!b->manifest_key.empty()) manifest_keys.push_back(b->manifest_key);
  }
  auto now = std::chrono::system_clock::now();
  for (const auto& o : inv.orphan_data) {
    if (now - o.last_modified < kStaleAge) continue;  // may be a run in progress elsewhere
    data_keys.push_back(o.key);
    ++report.orphans_removed;
  }
  std::vector<PendingUpload> stale;
  for (const auto& u : storage.list_uploads(encode_db_name(database) + "/"))
    if (now - u.initiated >= kStaleAge) stale.push_back(u);
  report.uploads_aborted = stale.size();
  if (dry_run) return report;
  // Data objects first, manifests after: a backup never loses its manifest while its data remains.
  if (!data_keys.empty()) storage.remove(data_keys);
  if (!manifest_keys.empty()) storage.remove(manifest_keys);
  for (const auto& u : stale) storage.abort_upload(u);
  return report;
}

int cmd_prune(const Config& config, const PruneOptions& options) {
  std::unique_ptr<Storage> storage = make_storage(config.storage);
  std::vector<std::string> dbs = options.databases;
  std::size_t unrecognized = 0;
  if (dbs.empty()) {
    Inventory inv = build_inventory(storage->list(""), config.storage.legacy);
    for (const auto& [db, list] : inv.backups) dbs.push_back(db);
    unrecognized = inv.unrecognized.size();
  }
  const auto* zone = resolve_zone(config.backup.timezone);
  nlohmann::ordered_json json_out;
  json_out["dry_run"] = options.dry_run;
  json_out["databases"] = nlohmann::ordered_json::array();
  for (const auto& db : dbs) {
    PruneReport r = prune_database(config, *storage, db, options.dry_run);
    auto kept = r.plan.keep();
    auto dropped = r.plan.drop();
    if (options.json) {
      nlohmann::ordered_json j{{"database", db}, {"keep", nlohmann::ordered_json::array()},
                               {"delete", nlohmann::ordered_json::array()}};
      for (const auto& d : r.plan.decisions) {
        nlohmann::ordered_json e{{"id", d.backup->id}, {"time", format_iso_utc(d.backup->time)}, {"key", d.backup->data_key}};
        if (d.keep) {
          e["kept_by"] = d.reasons;
          j["keep"].push_back(e);
        } else {
          j["delete"].push_back(e);
        }
      }
      j["orphans_removed"] = r.orphans_removed;
      j["uploads_aborted"] = r.uploads_aborted;
      json_out["databases"].push_back(j);
      continue;
    }
    std::cout << db << ": keep " << kept.size() << ", " << (options.dry_run ? "would delete " : "deleted ")
              << dropped.size() << "\n";
    TextTable table({"  ID", "TIME", "STORED", "ACTION"});
    for (const auto& d : r.plan.decisions)
      table.add({"  " + d.backup->id, format_local(d.backup->time, zone), human_bytes(d.backup->stored_bytes),
                 d.keep ? "keep (" + describe_reasons(d.reasons) + ")" : (options.dry_run ? "would delete" : "deleted")});
    if (!r.plan.decisions.empty()) std::cout << table.render();
    if (r.orphans_removed)
      std::cout << "  " << (options.dry_run ? "would remove " : "removed ") << r.orphans_removed
                << " data object(s) without manifest older than 24 h (crashed runs)\n";
    if (r.uploads_aborted)
      std::cout << "  " << (options.dry_run ? "would abort " : "aborted ") << r.uploads_aborted
                << " unfinished upload(s) older than 24 h\n";
  }
  if (options.json) {
    json_out["unrecognized_objects"] = unrecognized;
    std::cout << json_out.dump(2) << std::endl;
  } else if (unrecognized) {
    std::cout << unrecognized << " object(s) under the prefix are not backups of BackupBuddy's layout; left alone\n";
  }
  return kExitOk;
}

}  // namespace bb
