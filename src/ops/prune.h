// `backupbuddy prune`: apply the retention policy. Deletes only objects of our layout
// (or the legacy one), never a database's newest backup, data object before manifest.
// Also removes orphan data objects and aborts unfinished uploads older than 24 h.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "catalog/retention.h"
#include "ops/backups.h"
#include "config/config.h"
#include "ops/context.h"

namespace bb {

class Storage;

// What prune did (or, with dry_run, would do) for one database.
struct PruneReport {
  std::string database;
  std::vector<BackupEntry> backups;  // newest first
  RetentionPlan plan;                // points into backups
  std::size_t orphans_removed = 0;
  std::size_t uploads_aborted = 0;
  bool dry_run = false;
};

// Prunes one database. Every backup's manifest is read first: an untrusted backup (see
// catalog/trust.h) is kept and fills no retention slot. keep_ids: backups that stay
// whatever the rules say (a run passes the one it has just made). Throws StorageError
// when listing, reading or deleting fails (what was deleted before the failure stays
// deleted; nothing that should stay is touched).
PruneReport prune_database(RunContext& ctx, const std::string& database, bool dry_run,
                           const std::vector<std::string>& keep_ids = {});

// Prunes the named databases, or with none every database the store holds backups, crashed
// runs or unfinished uploads of (the whole prefix listed once). on_report sees each
// database's report as soon as it is done. Returns the number of objects of no known
// layout under the prefix (left alone; 0 for named databases).
std::size_t prune_databases(RunContext& ctx, const std::vector<std::string>& databases, bool dry_run,
                            const std::function<void(const PruneReport&)>& on_report);

// Deletes the stored globals (_globals/<id>.sql) older than every backup left in the store,
// never the newest. Returns how many were (with dry_run: would be) deleted.
std::size_t prune_globals(Storage& storage, const Inventory& inventory, bool dry_run);

// The untrusted backups of a report, one line each: "<id> <reason> — kept, not counted".
std::vector<std::string> untrusted_notes(const PruneReport& report);

}  // namespace bb
