// Every database BackupBuddy creates on the server, and the marks that tell them apart
// (COMMENT ON DATABASE): archives ('backupbuddy-archive {...}', restored data a user asked
// for), temporary databases of restores in progress ('backupbuddy-restoring {...}') and
// scratch databases of restore tests ('backupbuddy-verifying {...}'). Only a database
// carrying one of these marks is ever dropped, and only when no running BackupBuddy holds
// its advisory lock. Identifiers are always quoted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bb {

class PgSession;

// The marker BackupBuddy writes into COMMENT ON DATABASE of every archive it creates.
struct ArchiveMarker {
  std::string source;
  std::string backup_id;
  std::string restored_at;  // ISO UTC
};
std::string archive_comment(const ArchiveMarker& marker);
// Parses a database comment; nullopt unless it is BackupBuddy's archive marker.
std::optional<ArchiveMarker> parse_archive_comment(const std::string& comment);

// What is at a database name: whether it exists, and its archive marker if it has one.
struct ExistingDatabase {
  bool exists = false;
  std::optional<ArchiveMarker> marker;
};
ExistingDatabase inspect_database(PgSession& session, const std::string& name);

// Marks a restore's temporary database (before any data goes in), so that a restore that
// dies is cleaned up by drop_abandoned_restores once its target's lock is free.
void mark_restoring_database(PgSession& session, const std::string& name, const std::string& source,
                             const std::string& backup_id, const std::string& target);

// Marks a finished archive database as BackupBuddy's.
void mark_archive_database(PgSession& session, const std::string& name, const ArchiveMarker& marker);

// Marks a restore test's scratch database (COMMENT ON DATABASE) so that
// drop_abandoned_restores finds it if the test dies. The caller must already hold the
// advisory lock of `name` (DatabaseLock) for as long as the database exists.
void mark_restore_test_database(PgSession& session, const std::string& name, const std::string& source,
                                const std::string& backup_id);

// Drops temporary databases of restores and restore tests that died (SIGKILL, power
// loss): a `backupbuddy-restoring` database whose target no running restore holds, or a
// `backupbuddy-verifying` one whose own name no running restore test holds (their advisory
// locks are free). Returns their names. Called by every restore, restore test and `archives`.
std::vector<std::string> drop_abandoned_restores(PgSession& session);

// One archive database on the server.
struct ArchiveDatabase {
  std::string name;
  ArchiveMarker marker;
  std::uint64_t size_bytes = 0;
};

// Every database carrying the archive marker (templates excluded), by name. Throws PgError.
std::vector<ArchiveDatabase> list_archive_databases(PgSession& session);

// Drops an archive database, after checking again under its advisory lock (so never under
// a running restore) that it exists and carries the marker. Throws OperationError (missing,
// not BackupBuddy's, in use) or PgError.
void drop_archive_database(PgSession& session, const std::string& name);

// Keeps the newest `keep` archives of `source` (by restore time), dropping older ones;
// `except` is never dropped. Returns the dropped names.
std::vector<std::string> keep_newest_archives(PgSession& session, const std::string& source, int keep,
                                              const std::string& except);

}  // namespace bb
