// `backupbuddy restore`: restore a backup into a NEW database, never over production.
// The data goes into a temporary database first; only when pg_restore succeeded and the
// checksum matched is it renamed to the target, and only then is an older archive of the
// same source replaced.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "catalog/keys.h"
#include "util/progress.h"

namespace bb {

class Storage;
class PgSession;

struct RestoreRequest {
  std::string source;                 // the database whose backup is restored
  std::optional<std::string> backup_id;
  std::optional<std::string> at;      // a time as typed by the user
  std::optional<std::string> into;    // target name; default [restore] target
  std::optional<int> jobs;            // parallel pg_restore jobs; default [restore] jobs
  bool no_owner = false;              // objects owned by the restoring user (also [restore] no_owner)
};

struct RestoreResult {
  std::string database;  // the archive database now holding the data
  std::string source;
  std::string backup_id;
  TimePoint backup_time{};
  bool legacy = false;
  std::uint64_t bytes = 0;
  double seconds = 0;
  std::string replaced;  // archive dropped to make room, if any
  // Newer backups passed over because they are not trusted ("<id>: <reason>"); only when
  // no backup id was asked for.
  std::vector<std::string> skipped_untrusted;
};

// pg_restore arguments for ownership: --no-owner --no-privileges when the original roles
// are not wanted (no_owner or [restore] no_owner/owner), --role=OWNER for [restore] owner.
std::vector<std::string> owner_args(const RestoreConfig& restore, bool no_owner);

// The archive database name for a source: [restore] target with every {db} replaced.
std::string archive_name_for(const Config& config, const std::string& source);

// Restores; without a backup id, the newest trusted backup (at or before `at`); throws on failure (nothing is left behind: the temporary database is dropped).
RestoreResult restore_backup(const Config& config, Storage& storage, const RestoreRequest& request,
                             const ProgressCallback& progress = {});

// Drops temporary databases of restores and restore tests that died (SIGKILL, power
// loss): a `backupbuddy-restoring` database whose target no running restore holds, or a
// `backupbuddy-verifying` one whose own name no running restore test holds (their advisory
// locks are free). Returns their names. Called by every restore, restore test and `archives`.
std::vector<std::string> drop_abandoned_restores(PgSession& session);

// Marks a restore test's scratch database (COMMENT ON DATABASE) so that
// drop_abandoned_restores finds it if the test dies. The caller must already hold the
// advisory lock of `name` (DatabaseLock) for as long as the database exists.
void mark_restore_test_database(PgSession& session, const std::string& name, const std::string& source,
                                const std::string& backup_id);

// The marker BackupBuddy writes into COMMENT ON DATABASE of every archive it creates.
struct ArchiveMarker {
  std::string source;
  std::string backup_id;
  std::string restored_at;  // ISO UTC
};
std::string archive_comment(const ArchiveMarker& marker);
// Parses a database comment; nullopt unless it is BackupBuddy's archive marker.
std::optional<ArchiveMarker> parse_archive_comment(const std::string& comment);

struct RestoreOptions {
  RestoreRequest request;
  bool json = false;
};

// The command; prints the new database's name as the last line. Returns the exit code.
int cmd_restore(const Config& config, const RestoreOptions& options);

}  // namespace bb
