// `backupbuddy prune`.
#include "ops/prune.h"

#include <algorithm>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "catalog/keys.h"
#include "catalog/trust.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"
#include "util/timezone.h"

namespace bb {
namespace {

constexpr auto kStaleAge = std::chrono::hours(24);

}  // namespace

namespace {

// What crashed runs leave: data objects without manifest and manifests without data.
std::vector<ObjectInfo> strays(const Inventory& inv) {
  std::vector<ObjectInfo> out = inv.orphan_data;
  out.insert(out.end(), inv.orphan_manifests.begin(), inv.orphan_manifests.end());
  return out;
}

// Unfinished uploads under a folder; a provider without ListMultipartUploads (HTTP 501,
// e.g. s3rver) has none we could abort, which must not stop pruning.
std::vector<PendingUpload> pending_uploads(Storage& storage, const std::string& prefix) {
  try {
    return storage.list_uploads(prefix);
  } catch (const StorageError& e) {
    if (e.http_status() != 501 && e.http_status() != 405) throw;
    log::debug(std::string("cannot list unfinished uploads: ") + e.what());
    return {};
  }
}

// Prunes one database from a listing already made: its backups (newest first), its data
// objects without manifest, and the unfinished uploads under its folder.
// Defence in depth: refuses (OperationError, nothing deleted) a plan that would delete a
// backup that must stay, or leave fewer trusted backups than the rules keep.
void check_plan(const PruneReport& report, const std::vector<std::string>& keep_ids) {
  const BackupEntry* newest = newest_trusted(report.backups);
  std::size_t trusted = 0, trusted_kept = 0;
  for (const auto& d : report.plan.decisions) {
    const BackupEntry& b = *d.backup;
    bool must_stay = &b == newest || !b.distrust.empty() ||
                     std::find(keep_ids.begin(), keep_ids.end(), b.id) != keep_ids.end();
    if (!d.keep && must_stay)
      throw OperationError("internal error: retention planned to delete backup " + b.id + " of " +
                           quote_name(report.database) + ", which must stay; nothing was deleted");
    if (b.distrust.empty()) {
      ++trusted;
      if (d.keep) ++trusted_kept;
    }
  }
  if (trusted > 0 && trusted_kept == 0)
    throw OperationError("internal error: retention planned to delete every trusted backup of " +
                         quote_name(report.database) + "; nothing was deleted");
}

PruneReport prune_listed(const Config& config, Storage& storage, const std::string& database,
                         std::vector<BackupEntry> backups, const std::vector<ObjectInfo>& orphans,
                         const std::vector<PendingUpload>& uploads, bool dry_run,
                         const std::vector<std::string>& keep_ids = {}) {
  PruneReport report;
  report.database = database;
  report.dry_run = dry_run;
  report.backups = std::move(backups);
  auto now = std::chrono::system_clock::now();
  // Only a backup whose manifest was read and checked may fill a retention slot.
  assess_backups(storage, report.backups, now);
  report.plan = plan_retention(report.backups, policy_from(config.retention_for(database)),
                               resolve_zone(config.backup.timezone), keep_ids);
  check_plan(report, keep_ids);
  std::vector<std::string> data_keys, manifest_keys;
  for (const BackupEntry* b : report.plan.drop()) {
    data_keys.push_back(b->data_key);
    if (!b->manifest_key.empty()) manifest_keys.push_back(b->manifest_key);
  }
  for (const auto& o : orphans) {
    auto parsed = parse_key(o.key);
    if (!parsed || parsed->db != database) continue;
    if (now - o.last_modified < kStaleAge) continue;  // may be a run in progress elsewhere
    // A data object without manifest (a crashed backup), or a manifest whose data object
    // is gone (a prune stopped between its two deletions): neither is a backup.
    (parsed->kind == ParsedKey::Kind::kManifest ? manifest_keys : data_keys).push_back(o.key);
    ++report.orphans_removed;
  }
  std::vector<PendingUpload> stale;
  std::string folder = encode_db_name(database) + "/";
  for (const auto& u : uploads)
    if (u.key.rfind(folder, 0) == 0 && now - u.initiated >= kStaleAge) stale.push_back(u);
  report.uploads_aborted = stale.size();
  if (dry_run) return report;
  // Data objects first, manifests after: a backup never loses its manifest while its data remains.
  if (!data_keys.empty()) storage.remove(data_keys);
  if (!manifest_keys.empty()) storage.remove(manifest_keys);
  for (const auto& u : stale) storage.abort_upload(u);
  return report;
}

}  // namespace

PruneReport prune_database(RunContext& ctx, const std::string& database, bool dry_run,
                           const std::vector<std::string>& keep_ids) {
  const Config& config = ctx.config();
  Storage& storage = ctx.storage();
  Inventory inv;
  std::vector<BackupEntry> backups = list_database_backups(config, storage, database, &inv);
  return prune_listed(config, storage, database, std::move(backups), strays(inv),
                      pending_uploads(storage, encode_db_name(database) + "/"), dry_run, keep_ids);
}

std::size_t prune_databases(RunContext& ctx, const std::vector<std::string>& databases, bool dry_run,
                            const std::function<void(const PruneReport&)>& on_report) {
  const Config& config = ctx.config();
  Storage& storage = ctx.storage();
  if (!databases.empty()) {  // named databases are listed one by one
    for (const auto& db : databases) on_report(prune_database(ctx, db, dry_run));
    return 0;
  }
  // Every database: the whole prefix is listed once.
  Inventory everything = build_inventory(storage.list(""), config.storage.legacy);
  std::set<std::string> names;
  for (const auto& [db, list] : everything.backups) names.insert(db);
  for (const auto& o : strays(everything)) names.insert(parse_key(o.key)->db);  // crashed runs only
  std::vector<PendingUpload> all_uploads = pending_uploads(storage, "");
  for (const auto& u : all_uploads)  // a first run that was killed leaves only its upload
    if (auto p = parse_key(u.key); p && p->kind == ParsedKey::Kind::kData) names.insert(p->db);
  for (const auto& db : names) {
    auto listed = everything.backups.find(db);
    on_report(prune_listed(config, storage, db,
                           listed == everything.backups.end() ? std::vector<BackupEntry>{} : listed->second,
                           strays(everything), all_uploads, dry_run));
  }
  Inventory after = dry_run ? everything : build_inventory(storage.list(""), config.storage.legacy);
  if (std::size_t n = prune_globals(storage, after, dry_run))
    log::info(std::string(dry_run ? "would delete " : "deleted ") + std::to_string(n) +
              " stored copies of the server's roles older than every backup");
  return everything.unrecognized.size();
}

std::size_t prune_globals(Storage& storage, const Inventory& inv, bool dry_run) {
  if (inv.globals.size() <= 1) return 0;
  std::optional<std::string> oldest;  // the oldest backup id of any database
  for (const auto& [db, list] : inv.backups)
    for (const auto& b : list)
      if (!b.legacy && (!oldest || b.id < *oldest)) oldest = b.id;
  std::vector<std::string> drop;
  for (std::size_t i = 0; i + 1 < inv.globals.size(); ++i) {  // oldest first; the last stays
    // A run's globals are stored just before its dumps: the globals of the oldest backup's
    // run is the newest one not after it, kept too.
    std::string next_id = parse_globals_key(inv.globals[i + 1].key).value_or("");
    if (!oldest || next_id <= *oldest) drop.push_back(inv.globals[i].key);
  }
  if (!dry_run && !drop.empty()) storage.remove(drop);
  return drop.size();
}

std::vector<std::string> untrusted_notes(const PruneReport& report) {
  std::vector<std::string> out;
  for (const auto& b : report.backups)
    if (!b.distrust.empty())
      out.push_back(quote_name(report.database) + ": backup " + b.id + " is not trusted: " + b.distrust +
                    " — kept as evidence, not counted for retention");
  return out;
}

}  // namespace bb
