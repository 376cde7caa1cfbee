// `backupbuddy archives`.
#include "commands/archives.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "catalog/keys.h"
#include "commands/restore.h"
#include "pg/session.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"
#include "util/timezone.h"

namespace bb {

std::vector<ArchiveInfo> list_archives(const Config& config) {
  PgSession session = PgSession::connect(config.postgres, config.postgres.maintenance_db);
  drop_abandoned_restores(session);
  auto rows = session.query(
      "select datname, coalesce(shobj_description(oid, 'pg_database'), ''), pg_database_size(oid)::text "
      "from pg_database where not datistemplate and shobj_description(oid, 'pg_database') like 'backupbuddy-archive %' "
      "order by datname");
  std::vector<ArchiveInfo> out;
  for (const auto& row : rows) {
    auto marker = parse_archive_comment(row[1].value_or(""));
    if (!marker) continue;
    out.push_back({row[0].value_or(""), *marker, std::stoull(row[2].value_or("0"))});
  }
  return out;
}

void drop_archive(const Config& config, const std::string& name) {
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
    throw OperationError("there is no database " + quote_name(name) + " on " + session.where() +
                         " — `backupbuddy archives` lists the archives there are");
  if (!parse_archive_comment(rows[0][0].value_or("")))
    throw OperationError("refusing to drop " + quote_name(name) +
                         ": it was not created by BackupBuddy (no archive marker in its comment) — drop it yourself "
                         "if you are sure");
  session.exec("drop database " + session.quote_ident(name) + " with (force)");
  log::info("dropped archive database " + quote_name(name));
}

int cmd_archives(const Config& config, const ArchivesOptions& options) {
  if (options.drop) {
    drop_archive(config, *options.drop);
    if (options.json)
      std::cout << nlohmann::ordered_json{{"dropped", *options.drop}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    else
      std::cout << "dropped " << *options.drop << "\n";
    return kExitOk;
  }
  std::vector<ArchiveInfo> archives = list_archives(config);
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
                               {"size_bytes", a.size_bytes}});
    }
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    return kExitOk;
  }
  if (archives.empty()) {
    std::cout << "no archive databases created by BackupBuddy\n";
    return kExitOk;
  }
  TextTable table({"ARCHIVE", "SOURCE", "AS OF", "BACKUP", "RESTORED AT (UTC)", "SIZE"});
  for (const auto& a : archives)
    table.add({a.name, a.marker.source, backup_time(a.marker.backup_id), a.marker.backup_id, a.marker.restored_at,
               human_bytes(a.size_bytes)});
  std::cout << table.render();
  return kExitOk;
}

}  // namespace bb
