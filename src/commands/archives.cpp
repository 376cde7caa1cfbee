// `backupbuddy archives`.
#include "commands/archives.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "catalog/keys.h"
#include "commands/backup.h"
#include "commands/restore.h"
#include "pg/session.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"
#include "util/timezone.h"

namespace bb {

std::set<std::string> configured_sources(const Config& config, PgSession& session) {
  std::set<std::string> out;
  for (const auto& db : config.databases) out.insert(db.name);
  if (config.backup.all_databases)
    for (auto& db : databases_to_back_up(config, session, {}, true)) out.insert(std::move(db));
  return out;
}

std::vector<ArchiveInfo> list_archives(const Config& config) {
  PgSession session = PgSession::connect(config.postgres, config.postgres.maintenance_db);
  drop_abandoned_restores(session);
  const std::set<std::string> sources = configured_sources(config, session);
  auto rows = session.query(
      "select datname, coalesce(shobj_description(oid, 'pg_database'), ''), pg_database_size(oid)::text "
      "from pg_database where not datistemplate and shobj_description(oid, 'pg_database') like 'backupbuddy-archive %' "
      "order by datname");
  std::vector<ArchiveInfo> out;
  for (const auto& row : rows) {
    auto marker = parse_archive_comment(row[1].value_or(""));
    if (!marker) continue;
    bool configured = sources.count(marker->source) > 0;
    out.push_back({row[0].value_or(""), *marker, std::stoull(row[2].value_or("0")), configured});
  }
  return out;
}

void drop_archive(const Config& config, const std::string& name, bool any_source) {
  if (config.find_database(name))
    throw OperationError("refusing to drop " + quote_name(name) +
                         ": it is a configured source database ([[databases]]), not an archive");
  if (name == config.postgres.maintenance_db || name == "postgres" || name == "template0" || name == "template1")
    throw OperationError("refusing to drop the system database " + quote_name(name));
  PgSession session = PgSession::connect(config.postgres, config.postgres.maintenance_db);
  // A restore into this name holds its advisory lock: never drop under a running restore.
  DatabaseLock lock(session, name, "drop the archive");
  auto rows = session.query(
      "select coalesce(shobj_description(oid, 'pg_database'), '') from pg_database where datname = $1", {name});
  if (rows.empty())
    throw OperationError("there is no database " + quote_name(name) + " on " + session.where(), Remedy::kSeeArchives);
  std::optional<ArchiveMarker> marker = parse_archive_comment(rows[0][0].value_or(""));
  if (!marker)
    throw OperationError("refusing to drop " + quote_name(name) +
                         ": it was not created by BackupBuddy (no archive marker in its comment) — drop it yourself "
                         "if you are sure");
  if (!any_source && !configured_sources(config, session).count(marker->source))
    throw OperationError("refusing to drop " + quote_name(name) + ": it is an archive of " + quote_name(marker->source) +
                         ", which this config does not back up (not in [[databases]])",
                         Remedy::kIncludeOtherArchives);
  session.exec("drop database " + session.quote_ident(name) + " with (force)");
  log::info("dropped archive database " + quote_name(name));
}

int cmd_archives(const Config& config, const ArchivesOptions& options) {
  if (options.drop) {
    drop_archive(config, *options.drop, options.all);
    if (options.json)
      std::cout << nlohmann::ordered_json{{"dropped", *options.drop}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    else
      std::cout << "dropped " << display_text(*options.drop) << "\n";
    return kExitOk;
  }
  std::vector<ArchiveInfo> archives = list_archives(config);
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
    nlohmann::ordered_json j;
    j["archives"] = nlohmann::ordered_json::array();
    for (const auto& a : archives) {
      auto tp = parse_backup_id(a.marker.backup_id);
      j["archives"].push_back({{"name", a.name},
                               {"source", a.marker.source},
                               {"backup", a.marker.backup_id},
                               {"backup_time", tp ? nlohmann::ordered_json(format_iso_utc(*tp)) : nlohmann::ordered_json(nullptr)},
                               {"restored_at", a.marker.restored_at},
                               {"size_bytes", a.size_bytes},
                               {"configured_source", a.configured_source}});
    }
    j["other_archives"] = others;
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
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
