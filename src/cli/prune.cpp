// `backupbuddy prune`.
#include "cli/prune.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include "catalog/trust.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"
#include "util/timezone.h"

namespace bb {

int cmd_prune(const Config& config, const PruneOptions& options) {
  RunContext ctx(config);
  const auto* zone = resolve_zone(config.backup.timezone);
  nlohmann::ordered_json json_out;
  json_out["dry_run"] = options.dry_run;
  json_out["databases"] = nlohmann::ordered_json::array();
  std::size_t unrecognized = prune_databases(ctx, options.databases, options.dry_run, [&](const PruneReport& r) {
    const std::string& db = r.database;
    auto kept = r.plan.keep();
    auto dropped = r.plan.drop();
    if (options.json) {
      nlohmann::ordered_json j{{"database", db}, {"keep", nlohmann::ordered_json::array()},
                               {"delete", nlohmann::ordered_json::array()}};
      for (const auto& d : r.plan.decisions) {
        nlohmann::ordered_json e{{"id", d.backup->id}, {"time", format_iso_utc(d.backup->time)}, {"key", d.backup->data_key}};
        if (!d.backup->distrust.empty()) e["problem"] = d.backup->distrust;
        if (d.keep) {
          e["kept_by"] = d.reasons;
          j["keep"].push_back(e);
        } else {
          j["delete"].push_back(e);
        }
      }
      j["orphans_removed"] = r.orphans_removed;
      j["uploads_aborted"] = r.uploads_aborted;
      json_out["databases"].push_back(j);
      return;
    }
    std::cout << display_text(db) << ": keep " << kept.size() << ", " << (options.dry_run ? "would delete " : "deleted ")
              << dropped.size() << "\n";
    TextTable table({"  ID", "TIME", "STORED", "ACTION"});
    for (const auto& d : r.plan.decisions)
      table.add({"  " + d.backup->id, format_local(d.backup->time, zone), human_bytes(d.backup->stored_bytes),
                 d.keep ? "keep (" + describe_reasons(d.reasons) + ")" : (options.dry_run ? "would delete" : "deleted")});
    if (!r.plan.decisions.empty()) std::cout << table.render();
    for (const auto& note : untrusted_notes(r)) std::cout << "  " << note << "\n";
    if (r.orphans_removed)
      std::cout << "  " << (options.dry_run ? "would remove " : "removed ") << r.orphans_removed
                << " data object(s) without manifest older than 24 h (crashed runs)\n";
    if (r.uploads_aborted)
      std::cout << "  " << (options.dry_run ? "would abort " : "aborted ") << r.uploads_aborted
                << " unfinished upload(s) older than 24 h\n";
  });
  if (options.json) {
    json_out["unrecognized_objects"] = unrecognized;
    std::cout << json_out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else if (unrecognized) {
    std::cout << unrecognized << " object(s) under the prefix are not backups of BackupBuddy's layout; left alone\n";
  }
  return kExitOk;
}

}  // namespace bb
