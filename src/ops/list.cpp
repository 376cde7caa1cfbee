// `list` as data.
#include "ops/list.h"

#include <chrono>

#include "catalog/retention.h"
#include "catalog/trust.h"
#include "ops/backups.h"
#include "storage/storage.h"
#include "util/log.h"
#include "util/timezone.h"

namespace bb {

StoreOverview store_overview(Storage& storage, bool legacy) {
  Inventory inv = build_inventory(storage.list(""), legacy);
  auto now = std::chrono::system_clock::now();
  StoreOverview out;
  for (auto& [db, backups] : inv.backups) {
    DatabaseSummary d;
    d.name = db;
    d.count = backups.size();
    for (auto it = backups.rbegin(); it != backups.rend(); ++it) d.stored_history.emplace_back(it->time, it->stored_bytes);
    for (auto& b : backups) {
      d.stored_bytes += b.stored_bytes;
      if (b.distrust = future_date_reason(b, now); !b.distrust.empty()) ++d.future_dated;
    }
    const BackupEntry* newest = newest_trusted(backups);
    d.newest = newest ? *newest : backups.front();
    out.databases.push_back(std::move(d));
  }
  out.orphan_objects = inv.orphan_data.size();
  out.unrecognized_objects = inv.unrecognized.size();
  return out;
}

StoreOverview list_overview(RunContext& ctx) {
  const Config& config = ctx.config();
  StoreOverview out = store_overview(ctx.storage(), config.storage.legacy);
  std::map<std::string, DatabaseState> state;
  try {
    state = StateStore(state_directory(config.backup.state_dir)).load();
  } catch (const std::exception& e) {
    log::debug(std::string("no state: ") + e.what());
  }
  for (auto& d : out.databases)
    if (auto it = state.find(d.name); it != state.end()) d.state = it->second;
  return out;
}

std::vector<BackupListing> list_database(RunContext& ctx, const std::string& database) {
  const Config& config = ctx.config();
  Storage& storage = ctx.storage();
  std::vector<BackupEntry> backups = list_database_backups(config, storage, database);
  // Every manifest is read and checked, as prune does: the plan shown is the plan prune follows.
  std::vector<std::optional<Manifest>> manifests = assess_backups(storage, backups, std::chrono::system_clock::now());
  RetentionPlan plan =
      plan_retention(backups, policy_from(config.retention_for(database)), resolve_zone(config.backup.timezone));
  std::vector<BackupListing> out;
  for (const auto& d : plan.decisions) {
    auto index = static_cast<std::size_t>(d.backup - backups.data());
    out.push_back({*d.backup, manifests[index], d.reasons});
  }
  return out;
}

}  // namespace bb
