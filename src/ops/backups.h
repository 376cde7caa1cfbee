// Pieces several commands share: reading one database's backups from storage.
#pragma once

#include <string>
#include <vector>

#include "catalog/inventory.h"
#include "catalog/manifest.h"
#include "config/config.h"

namespace bb {

class Storage;

// The backups of one database, newest first (new layout and, if [storage] legacy, the old
// tool's objects), from a fresh listing. inventory (optional) receives this database's
// orphan data objects too.
std::vector<BackupEntry> list_database_backups(const Config& config, Storage& storage, const std::string& database,
                                               Inventory* inventory = nullptr);

// Reads one backup's manifest and records in entry.distrust why the backup cannot be
// trusted; returns the manifest when it is trusted and not legacy. Throws as assess_backups.
std::optional<Manifest> assess_backup(Storage& storage, BackupEntry& entry, TimePoint now);

// Reads the manifest of each of `backups` and records in BackupEntry::distrust why a
// backup cannot be trusted (catalog/trust.h). Returns the manifests in the same order
// (nullopt for legacy objects and unreadable manifests). A storage failure other than a
// missing manifest throws StorageError: nothing is judged on a half-read store.
std::vector<std::optional<Manifest>> assess_backups(Storage& storage, std::vector<BackupEntry>& backups,
                                                    TimePoint now);

}  // namespace bb
