// Shared command pieces.
#include "commands/common.h"

#include "storage/storage.h"

namespace bb {

std::vector<BackupEntry> list_database_backups(const Config& config, Storage& storage, const std::string& database,
                                               Inventory* inventory) {
  std::vector<ObjectInfo> objects = storage.list(encode_db_name(database) + "/");
  // Legacy keys are `<raw name>-YYYY_MM_DD-KIND.dump`; this prefix also lists "a-b-…" for
  // database "a", which build_inventory files under "a-b".
  if (config.storage.legacy)
    for (auto& o : storage.list(database + "-")) objects.push_back(o);
  Inventory inv = build_inventory(objects, config.storage.legacy);
  std::vector<BackupEntry> out;
  if (auto it = inv.backups.find(database); it != inv.backups.end()) out = it->second;
  if (inventory) {
    *inventory = std::move(inv);
    auto other_database = [&](const ObjectInfo& o) {
      auto p = parse_key(o.key);
      return !p || p->db != database;
    };
    std::erase_if(inventory->orphan_data, other_database);
    std::erase_if(inventory->orphan_manifests, other_database);
  }
  return out;
}

}  // namespace bb
