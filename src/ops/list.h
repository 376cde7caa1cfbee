// `list`: what is stored, as data — per database (count, newest trusted backup, size, last
// verification), or one database's backups with their manifests, trust and the retention
// rules that keep each (the plan prune would follow). Front ends render it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "catalog/inventory.h"
#include "catalog/manifest.h"
#include "config/config.h"
#include "ops/context.h"
#include "state/state.h"

namespace bb {

class Storage;

// One database in the overview.
struct DatabaseSummary {
  std::string name;
  std::size_t count = 0;
  BackupEntry newest;               // the newest backup not dated in the future (else the newest)
  std::size_t future_dated = 0;     // backups dated in the future (not trusted)
  std::uint64_t stored_bytes = 0;   // all its backups
  std::optional<DatabaseState> state;  // its last run and verification, if recorded
  // Each backup's time and stored bytes, oldest first (from the listing: no manifest read).
  std::vector<std::pair<TimePoint, std::uint64_t>> stored_history;
};

// Every database with backups. The overview reads no manifest: only a date in the future
// marks a backup untrusted here (list_database checks every manifest).
struct StoreOverview {
  std::vector<DatabaseSummary> databases;  // by name
  std::size_t orphan_objects = 0;          // data objects without manifest (unfinished runs)
  std::size_t unrecognized_objects = 0;    // keys of no known layout
};
StoreOverview list_overview(RunContext& ctx);
// The overview of any store, without this machine's state (a store another server writes).
StoreOverview store_overview(Storage& storage, bool legacy);

// One backup of a database, newest first.
struct BackupListing {
  BackupEntry entry;                   // distrust says why it is not trusted
  std::optional<Manifest> manifest;    // trusted new-layout backups only
  std::vector<std::string> kept_by;    // retention reasons; empty: the next prune deletes it
};
// One database's backups, every manifest read and checked.
std::vector<BackupListing> list_database(RunContext& ctx, const std::string& database);

}  // namespace bb
