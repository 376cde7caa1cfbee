// `backupbuddy backup`.
#include "cli/backup.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "ops/json.h"
#include <set>
#include <thread>
#include "catalog/keys.h"
#include "catalog/manifest.h"
#include "catalog/trust.h"
#include "ops/reader.h"
#include "ops/backups.h"
#include "crypto/age.h"
#include "ops/prune.h"
#include "notify/metrics.h"
#include "notify/notifier.h"
#include "ops/verify.h"
#include "pg/session.h"
#include "state/state.h"
#include "storage/storage.h"
#include "stream/sha256.h"
#include "stream/zstd.h"
#include "util/error.h"
#include "util/format.h"
#include "util/lockfile.h"
#include "util/log.h"
#include "util/process.h"
#include "util/signals.h"
#include "version.h"

namespace bb {

int cmd_backup(const Config& config, const BackupOptions& options) {
  Notifiers notifiers(config);
  std::vector<BackupResult> results;
  try {
    results = run_backups(config, options.databases, options.all, !options.no_prune, "backup", {}, {},
                          [&] { notifiers.run_started(); });
  } catch (const LockHeldError&) {
    throw;
  } catch (const CancelledError&) {
    throw;
  } catch (const std::exception& e) {
    // The run could not start (PostgreSQL unreachable, no pg_dump, storage misconfigured):
    // every channel hears it, then main reports it and sets the exit code.
    notifiers.alert(std::string("❌ BackupBuddy: the backup run failed: ") + log::mask_secrets(e.what()));
    throw;
  }
  write_metrics_textfile(config);
  notifiers.run_finished(results);
  // Databases that vanished from the server are named in the report, not in the table.
  std::vector<std::string> first, vanished;
  std::erase_if(results, [&](const BackupResult& r) {
    if (r.first_backup) first.push_back(r.database);
    if (r.vanished) vanished.push_back(r.database);
    return r.vanished;
  });
  int failed = 0;
  for (const auto& r : results) failed += r.ok ? 0 : 1;
  if (options.json) {
    nlohmann::ordered_json j;
    j["results"] = nlohmann::ordered_json::array();
    for (const auto& r : results) {
      j["results"].push_back(backup_result_json(r));
    }
    j["new"] = first;
    j["vanished"] = vanished;
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else {
    TextTable table({"DATABASE", "RESULT", "DUMP", "STORED", "RATIO", "TIME", "BACKUP"});
    for (const auto& r : results) {
      char ratio[16] = "-";
      if (r.ok && r.stored_bytes > 0)
        std::snprintf(ratio, sizeof ratio, "%.1fx", static_cast<double>(r.dump_bytes) / r.stored_bytes);
      table.add({r.database, r.ok ? "ok" : "FAILED", r.ok ? human_bytes(r.dump_bytes) : "-",
                 r.ok ? human_bytes(r.stored_bytes) : "-", ratio, human_seconds(r.seconds), r.ok ? r.id : "-"});
    }
    std::cout << table.render();
    auto names = [](const std::vector<std::string>& list) {
      std::string out;
      for (const auto& n : list) out += (out.empty() ? "" : ", ") + display_text(n);
      return out;
    };
    if (!first.empty()) std::cout << "new: " << names(first) << " (backed up for the first time)\n";
    if (!vanished.empty())
      std::cout << "gone from the server: " << names(vanished) << " (its backups are kept)\n";
    std::cout << (failed == 0 ? "all " + std::to_string(results.size()) + " database(s) backed up\n"
                              : std::to_string(failed) + " of " + std::to_string(results.size()) +
                                    " database(s) FAILED — see the errors above\n");
  }
  return failed == 0 ? kExitOk : kExitFailed;
}

}  // namespace bb
