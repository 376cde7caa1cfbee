// `backupbuddy archives`.
#include "cli/archives.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include "catalog/keys.h"
#include "ops/backup.h"
#include "ops/json.h"
#include "ops/restore.h"
#include "pg/session.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"
#include "util/timezone.h"

namespace bb {

int cmd_archives(const Config& config, const ArchivesOptions& options) {
  RunContext ctx(config);
  if (options.drop) {
    drop_archive(ctx, *options.drop, options.all);
    if (options.json)
      std::cout << nlohmann::ordered_json{{"dropped", *options.drop}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    else
      std::cout << "dropped " << display_text(*options.drop) << "\n";
    return kExitOk;
  }
  std::vector<ArchiveInfo> archives = list_archives(ctx);
  std::size_t others = 0;  // archives of databases this config does not back up, left out
  if (!options.all) {
    auto theirs = std::remove_if(archives.begin(), archives.end(), [](const ArchiveInfo& a) { return !a.configured_source; });
    others = static_cast<std::size_t>(archives.end() - theirs);
    archives.erase(theirs, archives.end());
  }
  const auto* zone = resolve_zone(config.backup.timezone);
  auto backup_time = [&](const std::string& id) {
    auto tp = parse_backup_id(id);
    return tp ? format_local(*tp, zone) : id;
  };
  if (options.json) {
    std::cout << archives_json(archives, others).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    return kExitOk;
  }
  if (archives.empty()) {
    std::cout << "no archive databases created by BackupBuddy" << (others ? " from this config's databases" : "") << "\n";
  } else {
    TextTable table({"ARCHIVE", "SOURCE", "AS OF", "BACKUP", "RESTORED AT (UTC)", "SIZE"});
    for (const auto& a : archives)
      table.add({a.name, a.marker.source, backup_time(a.marker.backup_id), a.marker.backup_id, a.marker.restored_at,
                 human_bytes(a.size_bytes)});
    std::cout << table.render();
  }
  if (others)
    std::cout << others << " archive(s) of databases this config does not back up are not shown; "
              << "`backupbuddy archives --all` lists them\n";
  return kExitOk;
}

}  // namespace bb
