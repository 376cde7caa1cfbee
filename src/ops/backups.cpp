// Shared command pieces.
#include "ops/backups.h"

#include "catalog/trust.h"
#include "ops/reader.h"
#include "storage/storage.h"
#include "util/error.h"

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

std::optional<Manifest> assess_backup(Storage& storage, BackupEntry& entry, TimePoint now) {
  std::optional<Manifest> m;
  std::string problem;
  if (!entry.legacy) {
    try {
      m = load_manifest(storage, entry);  // bounded read; checks it names this object
    } catch (const NotFoundError&) {
      problem = "the manifest disappeared while it was being read";
    } catch (const StorageError&) {
      throw;
    } catch (const Error& e) {
      problem = e.what();
    }
  }
  entry.distrust = distrust_reason(entry, m ? &*m : nullptr, problem, now);
  if (!entry.distrust.empty()) return std::nullopt;
  return m;
}

std::vector<std::optional<Manifest>> assess_backups(Storage& storage, std::vector<BackupEntry>& backups,
                                                    TimePoint now) {
  std::vector<std::optional<Manifest>> manifests;
  manifests.reserve(backups.size());
  for (auto& b : backups) manifests.push_back(assess_backup(storage, b, now));
  return manifests;
}

}  // namespace bb
