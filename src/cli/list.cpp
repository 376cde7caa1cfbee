// `backupbuddy list`.
#include "cli/list.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "catalog/retention.h"
#include "ops/json.h"
#include "ops/list.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/format.h"
#include "util/timezone.h"

namespace bb {
namespace {

// "ok 2026-11-24 13:08 (restore test)", "FAILED …", "never" — the newest verification.
std::string verification_text(const std::optional<DatabaseState>& s, const date::time_zone* zone) {
  if (!s || !s->verified_at) return "never";
  std::string when = format_local(*s->verified_at, zone);
  return std::string(s->verify_ok ? "ok " : "FAILED ") + when + (s->restore_tested ? " (restore test)" : "");
}

int list_all(RunContext& ctx, bool json) {
  const Config& config = ctx.config();
  Storage& storage = ctx.storage();
  StoreOverview overview = list_overview(ctx);
  const auto* zone = resolve_zone(config.backup.timezone);
  if (json) {
    std::cout << overview_json(overview).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    return kExitOk;
  }
  if (overview.databases.empty()) {
    std::cout << "no backups in " << storage.describe() << "\n";
  } else {
    TextTable table({"DATABASE", "BACKUPS", "NEWEST", "STORED", "LAST VERIFIED"});
    for (const auto& d : overview.databases)
      table.add({d.name, std::to_string(d.count), format_local(d.newest.time, zone), human_bytes(d.stored_bytes),
                 verification_text(d.state, zone)});
    std::cout << table.render();
    for (const auto& d : overview.databases)
      if (d.future_dated > 0)
        std::cout << quote_name(d.name) << ": " << d.future_dated
                  << " backup(s) dated in the future (clock skew on the host that "
                  << "wrote them?) are not trusted — see `backupbuddy list " << quote_name(d.name) << "`\n";
  }
  if (overview.orphan_objects)
    std::cout << overview.orphan_objects
              << " data object(s) without a manifest (unfinished runs; not backups) are not listed\n";
  if (overview.unrecognized_objects)
    std::cout << overview.unrecognized_objects
              << " other object(s) under the prefix are not BackupBuddy's and are ignored\n";
  return kExitOk;
}

int list_one(RunContext& ctx, const std::string& db, bool json) {
  const Config& config = ctx.config();
  Storage& storage = ctx.storage();
  std::vector<BackupListing> rows = list_database(ctx, db);
  const auto* zone = resolve_zone(config.backup.timezone);
  if (json) {
    std::cout << database_json(db, rows).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    return kExitOk;
  }
  if (rows.empty()) {
    std::cout << "no backups of " << quote_name(db) << " in " << storage.describe() << "\n";
    return kExitOk;
  }
  TextTable table({"ID", "TIME", "DUMP", "STORED", "KEPT BY", "NOTE"});
  std::vector<std::string> untrusted;
  for (const auto& r : rows) {
    std::string note = r.entry.legacy ? "legacy" : "";
    std::string kept_by = r.kept_by.empty() ? "(next prune deletes)" : describe_reasons(r.kept_by);
    if (!r.entry.distrust.empty()) {
      note = "NOT TRUSTED (see below)";
      kept_by = "kept as evidence";
      untrusted.push_back(r.entry.id + ": " + r.entry.distrust);
    }
    table.add({r.entry.id, format_local(r.entry.time, zone), r.manifest ? human_bytes(r.manifest->dump_bytes) : "-",
               human_bytes(r.entry.stored_bytes), kept_by, note});
  }
  std::cout << table.render();
  for (const auto& u : untrusted)
    std::cout << "not trusted: " << u << " — kept, never counted for retention nor restored by default\n";
  return kExitOk;
}

}  // namespace

int cmd_list(const Config& config, const ListOptions& options) {
  RunContext ctx(config);
  if (options.database) return list_one(ctx, *options.database, options.json);
  return list_all(ctx, options.json);
}

}  // namespace bb
