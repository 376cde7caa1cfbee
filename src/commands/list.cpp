// `backupbuddy list`.
#include "commands/list.h"

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "catalog/inventory.h"
#include "catalog/manifest.h"
#include "catalog/retention.h"
#include "catalog/trust.h"
#include "commands/backup_reader.h"
#include "commands/common.h"
#include "state/state.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"
#include "util/timezone.h"

namespace bb {
namespace {

// "ok 2026-11-24 13:08 (restore test)", "FAILED …", "never" — the newest verification.
std::string verification_text(const DatabaseState* s, const date::time_zone* zone) {
  if (!s || s->verified_at.empty()) return "never";
  std::string when = s->verified_at;
  when = format_local(parse_user_time(s->verified_at, zone), zone);
  return std::string(s->verify_ok ? "ok " : "FAILED ") + when + (s->restore_tested ? " (restore test)" : "");
}

int list_all(const Config& config, Storage& storage, bool json) {
  Inventory inv = build_inventory(storage.list(""), config.storage.legacy);
  // The overview reads no manifest: only a date in the future marks a backup untrusted
  // here (`list DB` checks every manifest). Such a backup is never shown as the newest.
  auto now = std::chrono::system_clock::now();
  std::map<std::string, std::size_t> future_dated;
  for (auto& [db, backups] : inv.backups)
    for (auto& b : backups)
      if (b.distrust = future_date_reason(b, now); !b.distrust.empty()) ++future_dated[db];
  auto newest_of = [](const std::vector<BackupEntry>& backups) {
    const BackupEntry* n = newest_trusted(backups);
    return n ? n : &backups.front();
  };
  const auto* zone = resolve_zone(config.backup.timezone);
  std::map<std::string, DatabaseState> state;
  try {
    state = StateStore(state_directory(config.backup.state_dir)).load();
  } catch (const std::exception& e) {
    log::debug(std::string("no state: ") + e.what());
  }
  auto state_of = [&](const std::string& db) -> const DatabaseState* {
    auto it = state.find(db);
    return it == state.end() ? nullptr : &it->second;
  };
  if (json) {
    nlohmann::ordered_json j;
    j["databases"] = nlohmann::ordered_json::array();
    for (const auto& [db, backups] : inv.backups) {
      std::uint64_t total = 0;
      for (const auto& b : backups) total += b.stored_bytes;
      j["databases"].push_back({{"name", db},
                                {"count", backups.size()},
                                {"newest", format_iso_utc(newest_of(backups)->time)},
                                {"newest_id", newest_of(backups)->id},
                                {"future_dated", future_dated[db]},
                                {"stored_bytes", total},
                                {"last_verified", state_of(db) && !state_of(db)->verified_at.empty()
                                                      ? nlohmann::ordered_json(state_of(db)->verified_at)
                                                      : nlohmann::ordered_json(nullptr)},
                                {"verify_ok", state_of(db) ? state_of(db)->verify_ok : false}});
    }
    j["orphan_objects"] = inv.orphan_data.size();
    j["unrecognized_objects"] = inv.unrecognized.size();
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    return kExitOk;
  }
  if (inv.backups.empty()) {
    std::cout << "no backups in " << storage.describe() << "\n";
  } else {
    TextTable table({"DATABASE", "BACKUPS", "NEWEST", "STORED", "LAST VERIFIED"});
    for (const auto& [db, backups] : inv.backups) {
      std::uint64_t total = 0;
      for (const auto& b : backups) total += b.stored_bytes;
      table.add({db, std::to_string(backups.size()), format_local(newest_of(backups)->time, zone), human_bytes(total),
                 verification_text(state_of(db), zone)});
    }
    std::cout << table.render();
    for (const auto& [db, n] : future_dated)
      if (n > 0)
        std::cout << quote_name(db) << ": " << n << " backup(s) dated in the future (clock skew on the host that "
                  << "wrote them?) are not trusted — see `backupbuddy list " << quote_name(db) << "`\n";
  }
  if (!inv.orphan_data.empty())
    std::cout << inv.orphan_data.size()
              << " data object(s) without a manifest (unfinished runs; not backups) are not listed\n";
  if (!inv.unrecognized.empty())
    std::cout << inv.unrecognized.size() << " other object(s) under the prefix are not BackupBuddy's and are ignored\n";
  return kExitOk;
}

int list_one(const Config& config, Storage& storage, const std::string& db, bool json) {
  std::vector<BackupEntry> backups = list_database_backups(config, storage, db);
  const auto* zone = resolve_zone(config.backup.timezone);
  struct Row {
    const BackupEntry* entry;
    std::optional<Manifest> manifest;
    std::vector<std::string> kept_by;  // empty: the next prune deletes it
  };
  // Every manifest is read and checked, as prune does: the plan shown is the plan prune follows.
  std::vector<std::optional<Manifest>> manifests = assess_backups(storage, backups, std::chrono::system_clock::now());
  RetentionPlan plan = plan_retention(backups, policy_from(config.retention_for(db)), zone);
  std::vector<Row> rows;
  for (const auto& d : plan.decisions) {
    auto index = static_cast<std::size_t>(d.backup - backups.data());
    rows.push_back(Row{d.backup, manifests[index], d.reasons});
  }
  if (json) {
    nlohmann::ordered_json j;
    j["database"] = db;
    j["backups"] = nlohmann::ordered_json::array();
    for (const auto& r : rows) {
      nlohmann::ordered_json e{{"id", r.entry->id},
                               {"time", format_iso_utc(r.entry->time)},
                               {"dump_bytes", r.manifest ? nlohmann::ordered_json(r.manifest->dump_bytes)
                                                         : nlohmann::ordered_json(nullptr)},
                               {"stored_bytes", r.entry->stored_bytes},
                               {"key", r.entry->data_key},
                               {"legacy", r.entry->legacy},
                               {"encrypted", r.entry->encrypted},
                               {"kept_by", r.kept_by}};
      if (r.manifest) e["sha256"] = r.manifest->sha256;
      e["trusted"] = r.entry->distrust.empty();
      if (!r.entry->distrust.empty()) e["problem"] = r.entry->distrust;
      j["backups"].push_back(e);
    }
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    return kExitOk;
  }
  if (rows.empty()) {
    std::cout << "no backups of " << quote_name(db) << " in " << storage.describe() << "\n";
    return kExitOk;
  }
  TextTable table({"ID", "TIME", "DUMP", "STORED", "KEPT BY", "NOTE"});
  std::vector<std::string> untrusted;
  for (const auto& r : rows) {
    std::string note = r.entry->legacy ? "legacy" : "";
    std::string kept_by = r.kept_by.empty() ? "(next prune deletes)" : describe_reasons(r.kept_by);
    if (!r.entry->distrust.empty()) {
      note = "NOT TRUSTED (see below)";
      kept_by = "kept as evidence";
      untrusted.push_back(r.entry->id + ": " + r.entry->distrust);
    }
    table.add({r.entry->id, format_local(r.entry->time, zone), r.manifest ? human_bytes(r.manifest->dump_bytes) : "-",
               human_bytes(r.entry->stored_bytes), kept_by, note});
  }
  std::cout << table.render();
  for (const auto& u : untrusted)
    std::cout << "not trusted: " << u << " — kept, never counted for retention nor restored by default\n";
  return kExitOk;
}

}  // namespace

int cmd_list(const Config& config, const ListOptions& options) {
  std::unique_ptr<Storage> storage = make_storage(config.storage);
  if (options.database) return list_one(config, *storage, *options.database, options.json);
  return list_all(config, *storage, options.json);
}

}  // namespace bb
