// `backupbuddy backup`: dump each database with pg_dump and stream it through zstd and
// SHA-256 into storage; the manifest is written last. One database failing never stops
// the others.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "ops/context.h"
#include "pg/tools.h"
#include "util/progress.h"

namespace bb {

class Storage;
class PgSession;

// What happened to one database in a run.
struct BackupResult {
  std::string database;
  bool ok = false;
  std::string id;  // backup id when ok
  std::string data_key;
  bool encrypted = false;
  bool verified = false;  // verify_after_backup passed
  std::uint64_t dump_bytes = 0;
  std::uint64_t stored_bytes = 0;
  double seconds = 0;
  std::string error;  // plain-language reason when not ok
  bool database_missing = false;  // not ok because the database does not exist on the server
  std::vector<std::string> warnings;
  // With all_databases: the store held no backup of this database before this run.
  bool first_backup = false;
  // With all_databases: not a database of this run but one whose backups the store holds
  // and that is gone from the server (its backups are kept). ok, never counted as backed up.
  bool vanished = false;
};

// Backs up one database; never throws for a failure of that database (it is in the result).
BackupResult backup_database(RunContext& ctx, const std::string& database, const ProgressCallback& progress = {});

// What follows each database's backup in every kind of run (CLI, scheduler, bot):
// verify_after_backup (a failed verification turns the result into a failure), the
// state file, then retention when `prune` and the backup (still) counts as good.
void after_backup(RunContext& ctx, BackupResult& result, bool prune);

// Which databases a run covers: the named ones; or with all=true (or [backup]
// all_databases) every non-template database minus [backup] exclude; else [[databases]].
std::vector<std::string> databases_to_back_up(const Config& config, PgSession& session,
                                              const std::vector<std::string>& named, bool all);

// Stores the server's globals (`pg_dumpall --globals-only --no-role-passwords`: roles
// without passwords, memberships, tablespaces) as _globals/<run_id>.sql. Returns the key, or
// "" when a run that started within the same second already stored them (that object is
// kept as it is); throws OperationError / StorageError.
std::string store_globals(RunContext& ctx, const std::string& run_id);

// One backup run: takes the machine lock (LockHeldError when another run holds it),
// backs up the databases (named; all; or [[databases]]), `[backup] parallel` at once,
// each followed by after_backup(). `command` names the holder in the lock file.
// With all (or [backup] all_databases), results for databases backed up for the first time
// have first_backup set, and results with `vanished` set follow for databases the store
// holds backups of that are gone from the server.
// on_result (optional) sees each database's result as soon as it is final.
// progress (optional) follows each database's dump. on_started (optional) is called once
// the lock is held, before the first database (heartbeats ping <url>/start then).
std::vector<BackupResult> run_backups(const Config& config, const std::vector<std::string>& named, bool all,
                                      bool prune, const std::string& command,
                                      const std::function<void(const BackupResult&)>& on_result = {},
                                      const ProgressCallback& progress = {},
                                      const std::function<void()>& on_started = {});

}  // namespace bb
