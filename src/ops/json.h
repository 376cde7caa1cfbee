// The JSON of the core's results, one shape for every front end: the command line prints
// it with --json, the web console serves it under /api/v1/ (docs/json-output.md).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ops/archives.h"
#include "ops/backup.h"
#include "ops/list.h"
#include "ops/restore.h"
#include "ops/verify.h"

namespace bb {

// `list --json`: {"databases": [...], "orphan_objects", "unrecognized_objects"}.
nlohmann::ordered_json overview_json(const StoreOverview& overview);
// `list DB --json`: {"database", "backups": [...]} (newest first).
nlohmann::ordered_json database_json(const std::string& database, const std::vector<BackupListing>& rows);
// `archives --json`: {"archives": [...], "other_archives"}.
nlohmann::ordered_json archives_json(const std::vector<ArchiveInfo>& archives, std::size_t other_archives);
// A restore's row check: {"checked", "tables", "rows", "mismatched": [...], "seconds"}, or
// {"checked": false, "reason"} for a backup without row counts.
nlohmann::ordered_json row_check_json(const RowCheck& check);
// `restore --json`: {"database", "source", "backup", "backup_time", ...}.
nlohmann::ordered_json restore_json(const RestoreResult& result);
// One element of `verify --json` "results".
nlohmann::ordered_json verify_result_json(const VerifyResult& result);
// One element of `backup --json` "results".
nlohmann::ordered_json backup_result_json(const BackupResult& result);

}  // namespace bb
