// Inventory: turns a storage listing into complete backups per database, newest first,
// plus what does not belong (orphan data objects, unrelated keys). Pure, no I/O.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/keys.h"
#include "storage/storage.h"

namespace bb {

// One complete backup: a data object whose manifest exists (or a legacy object).
struct BackupEntry {
  std::string db{};
  std::string id{};
  TimePoint time{};
  bool legacy = false;
  bool encrypted = false;
  std::string data_key{};
  std::string manifest_key{};  // empty for legacy objects
  std::uint64_t stored_bytes = 0;
  // Why this backup is not trusted (catalog/trust.h); empty: trusted or not assessed.
  // An untrusted backup is kept, fills no retention slot and is never picked by default.
  std::string distrust{};
};

struct Inventory {
  std::map<std::string, std::vector<BackupEntry>> backups;  // per database, newest first
  std::vector<ObjectInfo> orphan_data;        // data objects without a manifest (crashed runs)
  std::vector<ObjectInfo> orphan_manifests;   // manifests whose data object is missing
  std::vector<std::string> unrecognized;      // keys of no known layout: never touched
  std::vector<ObjectInfo> globals;            // the server's globals, one per run (oldest first)
  std::vector<ObjectInfo> runs;               // run records under !runs/ (ops/runs.h), in listing order
};

// Groups a listing (keys relative to the prefix). include_legacy: also the old tool's objects.
Inventory build_inventory(const std::vector<ObjectInfo>& objects, bool include_legacy);

// Chooses a backup: by id (new or legacy form), or the newest at or before `at`, or the
// newest. nullptr when none matches.
const BackupEntry* pick_backup(const std::vector<BackupEntry>& newest_first, const std::optional<std::string>& id,
                               const std::optional<TimePoint>& at);

}  // namespace bb
