// `backupbuddy restore`: restore a backup into a NEW database, never over production.
// The data goes into a temporary database first; only when pg_restore succeeded and the
// checksum matched is it renamed to the target, and only then is an older archive of the
// same source replaced.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "ops/context.h"
#include "ops/reader.h"
#include "catalog/manifest.h"
#include "ops/row_check.h"
#include "pg/archives.h"
#include "catalog/keys.h"
#include "util/error.h"
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
  bool create_roles = false;          // create missing owner roles first (also [restore] create_roles)
  // Part of the database: these tables ("schema.name") and every object of these schemas.
  std::vector<std::string> tables;
  std::vector<std::string> schemas;
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
  // The restored tables' rows compared with the backup's counts (ok, or not checked).
  RowCheck row_check;
  // Roles created on the target server for --create-roles (NOLOGIN, no password).
  std::vector<std::string> created_roles;
};

// A restore whose new database does not hold the backup's rows (it was dropped).
class RowCheckFailed : public OperationError {
 public:
  RowCheckFailed(const std::string& message, RowCheck check) : OperationError(message), check_(std::move(check)) {}
  const RowCheck& check() const { return check_; }

 private:
  RowCheck check_;
};

// pg_restore arguments for ownership: --no-owner --no-privileges when the original roles
// are not wanted (no_owner or [restore] no_owner/owner), --role=OWNER for [restore] owner.
std::vector<std::string> owner_args(const RestoreConfig& restore, bool no_owner);

// The archive database name for a source: [restore] target with every {db} replaced.
std::string archive_name_for(const Config& config, const std::string& source);

// The backup a restore or an export reads: by id, else the newest trusted one (at or
// before `at`), its manifest and the keys to decrypt it (checked). Throws OperationError
// naming what is missing.
struct ChosenBackup {
  std::vector<BackupEntry> backups;  // the database's backups; entry points into it
  const BackupEntry* entry = nullptr;
  std::optional<Manifest> manifest;
  std::vector<std::string> skipped;  // newer backups passed over as untrusted
  DecryptionKeys keys;
};
ChosenBackup choose_backup(RunContext& ctx, const std::string& db, const std::optional<std::string>& backup_id,
                           const std::optional<std::string>& at, const std::string& what_for);

// Restores; without a backup id, the newest trusted backup (at or before `at`); throws on failure (nothing is left behind: the temporary database is dropped).
RestoreResult restore_backup(RunContext& ctx, const RestoreRequest& request, const ProgressCallback& progress = {});

}  // namespace bb
