// Inventory: listing -> complete backups.
#include "catalog/inventory.h"

#include <algorithm>

namespace bb {

Inventory build_inventory(const std::vector<ObjectInfo>& objects, bool include_legacy) {
  Inventory inv;
  struct Parts {
    const ObjectInfo* data = nullptr;
    const ObjectInfo* manifest = nullptr;
    ParsedKey parsed;
  };
  std::map<std::pair<std::string, std::string>, Parts> by_id;  // (db, id)
  for (const auto& obj : objects) {
    if (parse_globals_key(obj.key)) {
      inv.globals.push_back(obj);
      continue;
    }
    if (parse_run_key(obj.key)) {
      inv.runs.push_back(obj);
      continue;
    }
    auto parsed = parse_key(obj.key);
    if (!parsed || (parsed->kind == ParsedKey::Kind::kLegacy && !include_legacy)) {
      inv.unrecognized.push_back(obj.key);
      continue;
    }
    if (parsed->kind == ParsedKey::Kind::kLegacy) {
      BackupEntry e{.db = parsed->db, .id = parsed->id, .time = parsed->time, .legacy = true,
                    .data_key = obj.key, .stored_bytes = obj.size};
      inv.backups[e.db].push_back(e);
      continue;
    }
    Parts& parts = by_id[{parsed->db, parsed->id}];
    if (parsed->kind == ParsedKey::Kind::kManifest) {
      parts.manifest = &obj;
    } else {
      if (parts.data) {  // both .dump.zst and .dump.zst.age for one id: keep neither silently
        inv.unrecognized.push_back(obj.key);
        continue;
      }
      parts.data = &obj;
      parts.parsed = *parsed;
    }
  }
  for (auto& [key, parts] : by_id) {
    if (parts.data && parts.manifest) {
      BackupEntry e{.db = key.first, .id = key.second, .time = parts.parsed.time, .encrypted = parts.parsed.encrypted,
                    .data_key = parts.data->key, .manifest_key = parts.manifest->key,
                    .stored_bytes = parts.data->size};
      inv.backups[e.db].push_back(e);
    } else if (parts.data) {
      inv.orphan_data.push_back(*parts.data);
    } else if (parts.manifest) {
      inv.orphan_manifests.push_back(*parts.manifest);
    }
  }
  std::sort(inv.globals.begin(), inv.globals.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  for (auto& [db, list] : inv.backups) {
    std::stable_sort(list.begin(), list.end(), [](const BackupEntry& a, const BackupEntry& b) {
      if (a.time != b.time) return a.time > b.time;
      return a.legacy < b.legacy;  // same instant: the new layout first
    });
  }
  return inv;
}

const BackupEntry* pick_backup(const std::vector<BackupEntry>& newest_first, const std::optional<std::string>& id,
                               const std::optional<TimePoint>& at) {
  for (const auto& e : newest_first) {
    if (id) {
      if (e.id == *id) return &e;
    } else if (at) {
      if (e.time <= *at) return &e;
    } else {
      return &e;
    }
  }
  return nullptr;
}

}  // namespace bb
