// Pieces several commands share: reading one database's backups from storage.
#pragma once

#include <string>
#include <vector>

#include "catalog/inventory.h"
#include "config/config.h"

namespace bb {

class Storage;

// The backups of one database, newest first (new layout and, if [storage] legacy, the old
// tool's objects), from a fresh listing. inventory (optional) receives this database's
// orphan data objects too.
std::vector<BackupEntry> list_database_backups(const Config& config, Storage& storage, const std::string& database,
                                               Inventory* inventory = nullptr);

}  // namespace bb
