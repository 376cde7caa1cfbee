// `backupbuddy backup`.
#include "cli/backup.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include "catalog/keys.h"
#include "catalog/manifest.h"
#include "catalog/trust.h"
#include "ops/reader.h"
#include "ops/backups.h"
#include "crypto/age.h"
#include "ops/prune.h"
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
  std::vector<BackupResult> all = run_backups(config, options.databases, options.all, !options.no_prune, "backup");
  Notifiers(config).run_finished(all);
  std::vector<BackupResult> results;
  std::vector<std::string> first, vanished;
  for (const auto& r : all) {
    if (r.vanished) vanished.push_back(r.database);
    else results.push_back(r);
    if (r.first_backup) first.push_back(r.database);
  }
  int failed = 0;
  for (const auto& r : results) failed += r.ok ? 0 : 1;
  if (options.json) {
    nlohmann::ordered_json j;
    j["results"] = nlohmann::ordered_json::array();
    for (const auto& r : results) {
      j["results"].push_back({{"database", r.database},
                              {"ok", r.ok},
                              {"id", r.ok ? nlohmann::ordered_json(r.id) : nlohmann::ordered_json(nullptr)},
                              {"dump_bytes", r.dump_bytes},
                              {"stored_bytes", r.stored_bytes},
                              {"seconds", r.seconds},
                              {"error", r.ok ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.error)},
                              {"verified", r.verified},
                              {"warnings", r.warnings},
                              {"first_backup", r.first_backup}});
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
