// `backupbuddy archives`: the archive databases BackupBuddy itself created (they carry
// its marker in COMMENT ON DATABASE), listed, and dropped on request. Anything without
// the marker is never dropped. Only archives of this config's databases are offered
// unless --all: another config's archives on the same server are not ours to drop.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pg/archives.h"
#include "config/config.h"
#include "ops/context.h"

namespace bb {

// One archive database on the server.
struct ArchiveInfo {
  std::string name;
  ArchiveMarker marker;
  std::uint64_t size_bytes = 0;
  bool configured_source = false;  // its source is one of configured_sources()
};

class PgSession;

// The databases this config backs up, whose archives are offered without --all: the
// [[databases]] names and, with [backup] all_databases, every database on the server
// except [backup] exclude.
std::set<std::string> configured_sources(const Config& config, PgSession& session);

// Every database carrying BackupBuddy's archive marker, by name, each marked whether its
// source is one of this config's databases. Throws PgError.
std::vector<ArchiveInfo> list_archives(RunContext& ctx);

// Drops one archive database, after checking again (right before DROP DATABASE ... WITH
// (FORCE)) that it carries the marker and is not a configured source database, and (unless
// any_source) that its source is one of this config's databases. Throws OperationError
// (not ours, another config's, missing, in use by a restore) or PgError.
void drop_archive(RunContext& ctx, const std::string& name, bool any_source = false);

}  // namespace bb
