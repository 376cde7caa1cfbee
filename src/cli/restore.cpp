// `backupbuddy restore`.
#include "cli/restore.h"

#include "cli/remedy.h"

#include <sys/statvfs.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "ops/json.h"
#include "catalog/inventory.h"
#include "catalog/manifest.h"
#include "ops/reader.h"
#include "ops/backups.h"
#include "pg/scratch_database.h"
#include "pg/session.h"
#include "pg/tools.h"
#include "storage/storage.h"
#include "stream/sha256.h"
#include "stream/zstd.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"
#include "util/process.h"
#include "util/signals.h"
#include "util/timezone.h"

namespace bb {

int cmd_restore(const Config& config, const RestoreOptions& options) {
  RunContext ctx(config);
  RestoreResult r;
  try {
    r = restore_backup(ctx, options.request);
  } catch (const RowCheckFailed& e) {
    if (!options.json) throw;
    // The error and which tables differ, as one JSON document.
    log::error(e.what());
    nlohmann::ordered_json j = json_error(e.exit_code(), error_kind(e), e.what());
    j["row_check"] = row_check_json(e.check());
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    return e.exit_code();
  }
  const auto* zone = resolve_zone(config.backup.timezone);
  if (options.json) {
    nlohmann::ordered_json j = restore_json(r);
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else {
    log::info("done: " + quote_name(r.database) + " holds " + quote_name(r.source) + " as of " + format_local(r.backup_time, zone) +
              " (backup " + r.backup_id + ", " + human_bytes(r.bytes) + " read, " + human_seconds(r.seconds) + ")" +
              (r.replaced.empty() ? "" : "; the previous archive was replaced") +
              (r.skipped_untrusted.empty() ? ""
                                           : "; " + std::to_string(r.skipped_untrusted.size()) +
                                                 " newer backup(s) that cannot be trusted were passed over"));
    log::info("row check: " + row_check_summary(r.row_check) +
              (r.row_check.checked ? " (counted in " + human_seconds(r.row_check.seconds) + ")" : ""));
    std::cout << r.database << std::endl;
  }
  return kExitOk;
}

}  // namespace bb
