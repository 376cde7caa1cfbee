// `backupbuddy verify`.
#include "cli/verify.h"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include "notify/metrics.h"
#include "ops/reader.h"
#include "ops/backups.h"
#include "ops/json.h"
#include "ops/restore.h"
#include "pg/scratch_database.h"
#include "pg/session.h"
#include "pg/tools.h"
#include "state/state.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"
#include "util/process.h"
#include "util/signals.h"
#include "util/timezone.h"

namespace bb {

int cmd_verify(const Config& config, const VerifyOptions& options) {
  RunContext ctx(config);
  std::vector<VerifyResult> results =
      verify_databases(ctx, options.databases, options.every_backup, options.restore_test,
                       [](const VerifyResult& r) {
                         if (r.ok)
                           log::info("ok: " + quote_name(r.database) + " backup " + r.id + ": " +
                                     std::to_string(r.tables) + " tables, " + std::to_string(r.rows) + " rows" +
                                     (r.restore_tested ? ", restore test passed" : ""));
                         else if (r.id.empty())
                           log::error(r.error);
                         else
                           log::error(quote_name(r.database) + " backup " + r.id + " FAILED verification: " + r.error);
                       });
  write_metrics_textfile(config);
  int failed = 0;
  for (const auto& r : results) failed += r.ok ? 0 : 1;
  if (options.json) {
    nlohmann::ordered_json j;
    j["results"] = nlohmann::ordered_json::array();
    for (const auto& r : results) j["results"].push_back(verify_result_json(r));
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else {
    TextTable table({"DATABASE", "BACKUP", "RESULT", "DUMP", "TABLES", "ROWS", "RESTORE TEST", "TIME"});
    for (const auto& r : results)
      table.add({r.database, r.id.empty() ? "-" : r.id, r.ok ? "ok" : "FAILED", r.ok ? human_bytes(r.dump_bytes) : "-",
                 r.ok ? std::to_string(r.tables) : "-", r.ok ? std::to_string(r.rows) : "-",
                 r.restore_tested ? "passed" : (options.restore_test ? "-" : "not asked"), human_seconds(r.seconds)});
    std::cout << table.render();
    std::cout << (failed == 0 ? "every checked backup is intact" + std::string(options.restore_test ? " and restorable\n" : "\n")
                              : std::to_string(failed) + " backup(s) FAILED verification — see the errors above\n");
  }
  return failed == 0 ? kExitOk : kExitFailed;
}

}  // namespace bb
