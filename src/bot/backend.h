// BotBackend: what the Telegram bot's conversation needs from BackupBuddy's core, as one
// narrow interface. The real bot implements it over storage, PostgreSQL and the state
// file (bot/bot.cpp); unit tests implement it with an in-memory fake.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ops/backup.h"
#include "ops/restore.h"
#include "state/state.h"
#include "util/progress.h"
#include "util/timezone.h"

namespace bb::bot {

// A database that has backups in storage.
struct BotDatabase {
  std::string name;
  std::size_t backups = 0;
  std::optional<TimePoint> newest;
};

// One stored backup of a database.
struct BotBackup {
  std::string id;
  TimePoint time{};
  std::uint64_t stored_bytes = 0;
};

// An archive database BackupBuddy created (it carries the archive marker comment).
struct BotArchive {
  std::string name, source, backup_id, restored_at;
  bool configured_source = true;  // false: another config's archive; /archives does not offer it
};

// The core as the bot sees it. Calls may throw bb::Error (shown to the user as a reason).
class BotBackend {
 public:
  virtual ~BotBackend() = default;
  // Databases with at least one backup in storage.
  virtual std::vector<BotDatabase> databases() = 0;
  // One database's backups (any order; the conversation sorts newest first).
  virtual std::vector<BotBackup> backups(const std::string& db) = 0;
  // The archive database a restore of db goes into ([restore] target).
  virtual std::string restore_target(const std::string& db) = 0;
  // Restores one backup into restore_target(db); throws on failure (nothing left behind).
  virtual RestoreResult restore(const std::string& db, const std::string& backup_id, const ProgressCallback&) = 0;
  // Archive databases BackupBuddy created (of any source; see BotArchive::configured_source).
  virtual std::vector<BotArchive> archives() = 0;
  // Drops an archive database, only if it still carries BackupBuddy's marker and its source
  // is a configured database; throws otherwise.
  virtual void drop_archive(const std::string& name) = 0;
  // Backs up one configured database now; throws LockHeldError when a backup run holds the lock.
  virtual BackupResult backup(const std::string& db, const ProgressCallback&) = 0;
  // The configured databases ([[databases]]) that /backup may name.
  virtual std::vector<std::string> configured_databases() = 0;
  // Last backup run and last verification per database (the state file).
  virtual std::map<std::string, DatabaseState> status() = 0;
};

}  // namespace bb::bot
