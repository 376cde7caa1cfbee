// `backupbuddy archives`: the archive databases BackupBuddy itself created (they carry
// its marker in COMMENT ON DATABASE), listed, and dropped on request. Anything without
// the marker is never dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "commands/restore.h"
#include "config/config.h"

namespace bb {

// One archive database on the server.
struct ArchiveInfo {
  std::string name;
  ArchiveMarker marker;
  std::uint64_t size_bytes = 0;
};

// Every database carrying BackupBuddy's archive marker, by name. Throws PgError.
std::vector<ArchiveInfo> list_archives(const Config& config);

// Drops one archive database, after checking again (right before DROP DATABASE ... WITH
// (FORCE)) that it carries the marker and is not a configured source database. Throws
// OperationError (not ours, missing, in use by a restore) or PgError.
void drop_archive(const Config& config, const std::string& name);

struct ArchivesOptions {
  std::optional<std::string> drop;
  bool json = false;
};

// The command. Returns the exit code.
int cmd_archives(const Config& config, const ArchivesOptions& options);

}  // namespace bb
