// `backupbuddy archives`.
#include "ops/archives.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "catalog/keys.h"
#include "ops/backup.h"
#include "ops/restore.h"
#include "pg/archives.h"
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

std::vector<ArchiveInfo> list_archives(RunContext& ctx) {
  const Config& config = ctx.config();
  PgSession& session = ctx.session();
  drop_abandoned_restores(session);
  const std::set<std::string> sources = configured_sources(config, session);
  std::vector<ArchiveInfo> out;
  for (auto& a : list_archive_databases(session)) {
    bool configured = sources.count(a.marker.source) > 0;
    out.push_back({std::move(a.name), std::move(a.marker), a.size_bytes, configured});
  }
  return out;
}

void drop_archive(RunContext& ctx, const std::string& name, bool any_source) {
  const Config& config = ctx.config();
  if (config.find_database(name))
    throw OperationError("refusing to drop " + quote_name(name) +
                         ": it is a configured source database ([[databases]]), not an archive");
  if (name == config.postgres.maintenance_db || name == "postgres" || name == "template0" || name == "template1")
    throw OperationError("refusing to drop the system database " + quote_name(name));
  PgSession& session = ctx.session();
  if (!any_source) {
    ExistingDatabase existing = inspect_database(session, name);
    if (existing.marker && !configured_sources(config, session).count(existing.marker->source))
      throw OperationError("refusing to drop " + quote_name(name) + ": it is an archive of " +
                               quote_name(existing.marker->source) +
                               ", which this config does not back up (not in [[databases]])",
                           Remedy::kIncludeOtherArchives);
  }
  drop_archive_database(session, name);
}

}  // namespace bb
