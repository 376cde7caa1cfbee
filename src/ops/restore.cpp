// `backupbuddy restore`.
#include "ops/restore.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <iostream>
#include <nlohmann/json.hpp>

#include "catalog/inventory.h"
#include "catalog/manifest.h"
#include "ops/reader.h"
#include "ops/backups.h"
#include "ops/partial.h"
#include "ops/row_check.h"
#include "pg/archives.h"
#include "pg/roles.h"
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
namespace {

constexpr std::size_t kMaxIdentifierBytes = 63;  // NAMEDATALEN - 1

void check_target(const Config& cfg, PgSession& s, const std::string& source, const std::string& target,
                  ExistingDatabase& existing) {
  if (target.empty()) throw ConfigError("restore: the target database name is empty", Remedy::kChooseTargetName);
  if (target.size() > kMaxIdentifierBytes)
    throw ConfigError("restore: target name " + quote_name(target) + " is " + std::to_string(target.size()) +
                      " bytes; PostgreSQL allows 63", Remedy::kShorterTargetName);
  if (target == source)
    throw OperationError("refusing to restore \"" + source +
                         "\" over itself: BackupBuddy never restores into a production database",
                         Remedy::kChooseTargetName);
  if (cfg.find_database(target))
    throw OperationError("refusing to restore into \"" + target +
                         "\": it is a configured source database ([[databases]])", Remedy::kChooseTargetName);
  if (target == "postgres" || target == "template0" || target == "template1" || target == cfg.postgres.maintenance_db)
    throw OperationError("refusing to restore into the system database " + quote_name(target), Remedy::kChooseTargetName);
  existing = inspect_database(s, target);
  if (existing.exists && !existing.marker)
    throw OperationError("refusing to restore into \"" + target +
                         "\": that database exists and was not created by BackupBuddy (only its owner may rename or "
                         "drop it)",
                         Remedy::kChooseTargetName);
  if (existing.exists && existing.marker->source != source)
    throw OperationError("refusing to restore into " + quote_name(target) + ": it is BackupBuddy's archive of \"" +
                         existing.marker->source + "\", not of " + quote_name(source),
                         Remedy::kChooseTargetName);
}

ProcessSpec pg_restore_spec(const Config& cfg, const PgTools& tools, const std::string& temp_db, bool no_owner,
                            const std::string& use_list) {
  std::vector<std::string> extra;
  if (!use_list.empty()) extra.push_back("--use-list=" + use_list);
  for (auto& a : owner_args(cfg.restore, no_owner)) extra.push_back(a);
  return pg_restore_into(tools, cfg.postgres, temp_db, extra);
}

[[noreturn]] void throw_restore_failed(Process& restore) {
  int code = restore.wait();
  std::string why = log::mask_secrets(restore.stderr_text());
  while (!why.empty() && why.back() == '\n') why.pop_back();
  throw OperationError("pg_restore failed (exit " + std::to_string(code) + "): " +
                       (why.empty() ? std::string("no message") : why) + " — the archive was not created");
}

// jobs = 1: the dump flows straight into pg_restore's stdin (no disk use).
std::uint64_t restore_streaming(const Config& cfg, Storage& storage, const BackupEntry& entry, const Manifest* m,
                                const DecryptionKeys& keys, bool no_owner, const std::string& use_list,
                                const PgTools& tools, const std::string& temp_db, const ProgressCallback& progress) {
  ProcessSpec spec = pg_restore_spec(cfg, tools, temp_db, no_owner, use_list);
  spec.pipe_stdin = true;
  Process restore = Process::spawn(spec);
  // When pg_restore stops early (a bad row, a missing role), the rest of the object is still
  // read through the checksum: if the object does not match its manifest, the backup is
  // damaged and that is the reason given, not pg_restore's symptom of it.
  bool restore_gone = false;
  std::uint64_t fetched;
  try {
    fetched = read_dump(storage, entry, m, keys,
                        [&](const char* data, std::size_t n) {
                          if (restore_gone) return;
                          try {
                            restore.write_stdin(data, n);
                          } catch (const OperationError&) {
                            restore_gone = true;
                          }
                        },
                        progress, "restore " + entry.db + " " + entry.id);
  } catch (...) {
    restore.terminate();
    throw;
  }
  restore.close_stdin();
  if (restore.wait() != 0) throw_restore_failed(restore);
  return fetched;
}

// The temporary dump could not be written (disk full): a remedy the user can act on.
struct TempFileFull : ConsumerFailed {
  using ConsumerFailed::ConsumerFailed;
};

// A private temporary file, removed when it goes out of scope.
class TempFile {
 public:
  explicit TempFile(const std::string& dir) : path_(dir + "/backupbuddy-restore-XXXXXX") {
    fd_ = mkstemp(path_.data());
    if (fd_ < 0)
      throw OperationError("cannot create a temporary file in " + dir + ": " + std::strerror(errno),
                           Remedy::kRestoreWithoutDisk);
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  void write(const char* data, std::size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd_, data, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0)
        throw TempFileFull("cannot write the temporary dump " + path_ + ": " + std::strerror(errno));
      data += w;
      n -= static_cast<std::size_t>(w);
    }
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

// jobs > 1: pg_restore -j needs a seekable file, so the verified dump goes to a private
// temporary file first (TMPDIR, mode 0600, removed afterwards).
std::uint64_t restore_parallel(const Config& cfg, Storage& storage, const BackupEntry& entry, const Manifest* m,
                               const DecryptionKeys& keys, bool no_owner, const std::string& use_list,
                               const PgTools& tools, const std::string& temp_db, int jobs,
                               const ProgressCallback& progress) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string dir = tmpdir && *tmpdir ? tmpdir : "/tmp";
  if (m) {
    struct statvfs fs {};
    if (statvfs(dir.c_str(), &fs) == 0) {
      std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
      if (free_bytes < m->dump_bytes + (64ull << 20))
        throw OperationError("restore --jobs " + std::to_string(jobs) + " needs " + human_bytes(m->dump_bytes) +
                             " of temporary space in " + dir + " but only " + human_bytes(free_bytes) +
                             " is free",
                             Remedy::kRestoreWithoutDisk);
    }
  }
  TempFile file(dir);
  std::uint64_t fetched;
  try {
    fetched = read_dump(storage, entry, m, keys, [&](const char* data, std::size_t n) { file.write(data, n); }, progress,
                        "download " + entry.db + " " + entry.id);
  } catch (const ConsumerFailed& e) {
    throw OperationError(e.what(), dynamic_cast<const TempFileFull*>(&e) ? Remedy::kRestoreWithoutDisk : Remedy::kNone);
  }
  ProcessSpec spec = pg_restore_spec(cfg, tools, temp_db, no_owner, use_list);
  spec.args.push_back("--jobs=" + std::to_string(jobs));
  spec.args.push_back(file.path());
  Process restore = Process::spawn(spec);
  while (!restore.wait_stdout(std::chrono::milliseconds(250))) throw_if_cancelled();
  if (restore.wait() != 0) throw_restore_failed(restore);
  return fetched;
}

// Counts the rows of the restored database and compares them with the manifest's.
// A partial restore is judged on the tables it brought.
RowCheck check_restored_rows(const Config& cfg, const Manifest* m, const std::string& database,
                             const std::vector<std::pair<std::string, std::string>>& tables,
                             const std::vector<std::string>& schemas) {
  if (!m || !m->row_counts_recorded) return row_check_not_made("the backup has no row counts");
  auto t0 = std::chrono::steady_clock::now();
  PgSession in_restored = PgSession::connect(cfg.postgres, database);
  RowCheck check = compare_row_counts(restored_subset(m->row_counts, tables, schemas), count_table_rows(in_restored));
  check.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return check;
}

// The globals stored by the run of backup `id` (the newest at or before it), else the
// newest there is, decrypted; nullopt when the store holds none or they cannot be read.
std::optional<std::string> globals_for(Storage& storage, const std::string& id, const DecryptionKeys& keys) {
  std::vector<ObjectInfo> stored = storage.list("_globals/");
  std::optional<std::pair<std::string, std::string>> best, newest;  // (run id, key)
  for (const auto& o : stored) {
    auto run = parse_globals_key(o.key);
    if (!run) continue;
    if (!newest || *run > newest->first) newest = {{*run, o.key}};
    if (*run <= id && (!best || *run > best->first)) best = {{*run, o.key}};
  }
  if (!best) best = newest;
  if (!best) return std::nullopt;
  std::string text = storage.get(best->second);
  if (best->second.size() < 4 || best->second.compare(best->second.size() - 4, 4, ".age") != 0) return text;
  try {
    if (keys.empty()) throw OperationError("no [encryption] identity_file or passphrase_file to decrypt it");
    AgeDecryptor d = !keys.identities.empty() ? AgeDecryptor::with_identities(keys.identities)
                                              : AgeDecryptor::with_passphrase(*keys.passphrase);
    std::string plain;
    ByteSink to_plain = [&](const char* data, std::size_t n) { plain.append(data, n); };
    d.write(text.data(), text.size(), to_plain);
    d.finish(to_plain);
    return plain;
  } catch (const std::exception& e) {
    log::warn("cannot read the stored roles " + best->second + ": " + e.what());
    return std::nullopt;
  }
}

}  // namespace

std::vector<std::string> owner_args(const RestoreConfig& restore, bool no_owner) {
  std::vector<std::string> args;
  if (no_owner || restore.no_owner || restore.owner) {
    // Without the original roles, their grants cannot be restored either.
    args.push_back("--no-owner");
    args.push_back("--no-privileges");
  }
  if (restore.owner) args.push_back("--role=" + *restore.owner);
  return args;
}

std::string archive_name_for(const Config& config, const std::string& source) {
  std::string out = config.restore.target;
  for (std::size_t pos = out.find("{db}"); pos != std::string::npos; pos = out.find("{db}", pos + source.size()))
    out.replace(pos, 4, source);
  return out;
}



ChosenBackup choose_backup(RunContext& ctx, const std::string& db, const std::optional<std::string>& backup_id,
                           const std::optional<std::string>& at_text, const std::string& what_for) {
  const Config& cfg = ctx.config();
  Storage& storage = ctx.storage();
  ChosenBackup out;
  out.backups = list_database_backups(cfg, storage, db);
  std::optional<TimePoint> at;
  if (at_text) at = parse_user_time(*at_text, resolve_zone(cfg.backup.timezone));
  const BackupEntry* entry = nullptr;
  std::optional<Manifest>& manifest = out.manifest;
  std::vector<std::string>& skipped = out.skipped;
  if (backup_id) {  // asked for by id: that one, trusted or not (its manifest is still checked)
    entry = pick_backup(out.backups, backup_id, std::nullopt);
    if (entry) manifest = load_manifest(storage, *entry);
  } else {  // the newest trusted backup (at or before `at`): a future-dated or broken one is passed over
    auto now = std::chrono::system_clock::now();
    for (auto& b : out.backups) {
      if (at && b.time > *at) continue;
      manifest = assess_backup(storage, b, now);
      if (b.distrust.empty()) {
        entry = &b;
        break;
      }
      skipped.push_back(b.id + ": " + b.distrust);
      log::warn(what_for + ": skipped the newer backup " + b.id + " of " + quote_name(db) + ": it is not trusted (" +
                b.distrust + ")");
    }
  }
  if (!entry) {
    std::string what = backup_id ? "with id " + *backup_id
                       : at_text  ? "taken at or before " + *at_text
                                  : "at all";
    if (!skipped.empty())
      what = (at_text ? "taken at or before " + *at_text + " " : std::string()) + "that can be trusted (" +
             std::to_string(skipped.size()) + " not trusted: " + skipped.front() + ")";
    throw OperationError("no backup of " + quote_name(db) + " " + what + " in " + storage.describe(),
                         Remedy::kSeeBackups);
  }
  // An encrypted backup we cannot decrypt is refused before anything is created.
  out.keys = load_decryption_keys(cfg.encryption);
  if (entry->encrypted || (manifest && !manifest->encryption_recipients.empty()))
    check_can_decrypt(storage, *entry, out.keys);
  out.entry = entry;
  return out;
}

RestoreResult restore_backup(RunContext& ctx, const RestoreRequest& req, const ProgressCallback& progress) {
  const Config& cfg = ctx.config();
  Storage& storage = ctx.storage();
  auto t0 = std::chrono::steady_clock::now();
  const std::string& db = req.source;
  // 1. Which backup.
  ChosenBackup chosen = choose_backup(ctx, db, req.backup_id, req.at, "restore");
  const BackupEntry* entry = chosen.entry;
  std::optional<Manifest>& manifest = chosen.manifest;
  const std::vector<std::string>& skipped = chosen.skipped;
  const DecryptionKeys& keys = chosen.keys;
  // 2. Where to.
  std::string target = req.into ? *req.into : archive_name_for(cfg, db);
  PgSession& session = ctx.session();
  ExistingDatabase existing;
  check_target(cfg, session, db, target, existing);
  DatabaseLock lock(session, target, "restore");
  drop_abandoned_restores(session);
  const PgTools& tools = ctx.tools();
  // Restoring on another server: roles that own objects must exist there, unless the
  // archive is restored without owners. Checked before anything is created.
  RestoreResult result;
  // Part of the database: the entries to restore, as a pg_restore --use-list file.
  std::vector<std::pair<std::string, std::string>> tables;
  for (const auto& t : req.tables) tables.push_back(parse_table_name(t));
  std::optional<TempFile> use_list;
  std::string partial_toc;
  if (!tables.empty() || !req.schemas.empty()) {
    std::string toc = read_toc(storage, *entry, manifest ? &*manifest : nullptr, keys, tools, true);
    partial_toc = partial_restore_list(toc, tables, req.schemas);
    const char* tmpdir = std::getenv("TMPDIR");
    use_list.emplace(tmpdir && *tmpdir ? tmpdir : "/tmp");
    use_list->write(partial_toc.data(), partial_toc.size());
  }
  bool keep_owners = !(cfg.restore.no_owner || cfg.restore.owner || req.no_owner);
  if (keep_owners) {
    std::string toc = use_list ? partial_toc
                               : read_toc(storage, *entry, manifest ? &*manifest : nullptr, keys, tools);
    std::vector<std::string> missing;
    std::vector<std::string> owners = toc_owners(toc);
    for (const auto& role : owners)
      if (!session.scalar("select 1 from pg_roles where rolname = $1", {role})) missing.push_back(quote_name(role));
    if (!missing.empty() && (req.create_roles || cfg.restore.create_roles)) {
      // The memberships come from the server's globals stored by the backup's run.
      std::optional<std::string> globals = globals_for(storage, entry->id, keys);
      if (!globals) log::warn("no stored roles (globals) for backup " + entry->id + ": the roles are created without their memberships");
      result.created_roles =
          create_missing_roles(session, owners, globals ? parse_role_memberships(*globals) : decltype(parse_role_memberships("")){});
      std::string names;
      for (const auto& r : result.created_roles) names += (names.empty() ? "" : ", ") + quote_name(r);
      log::info("created role(s) " + names + " on " + session.where() + " (NOLOGIN, no password)");
      missing.clear();
    }
    if (!missing.empty()) {
      std::string names;
      for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
      throw OperationError("the backup's objects belong to role(s) " + names + " that do not exist on " +
                           session.where() + "; nothing was created",
                           Remedy::kRestoreWithoutOwners);
    }
  }

  // 3. Restore into a temporary database.
  ScratchDatabase temp(session, "bb_restore", manifest ? &*manifest : nullptr);
  ArchiveMarker marker{db, entry->id, format_iso_utc(std::chrono::system_clock::now())};
  mark_restoring_database(session, temp.name(), db, entry->id, target);
  log::info("restoring " + quote_name(db) + " backup " + entry->id + " into " + quote_name(target) + " (via temporary database " +
            temp.name() + ")" + (storage.max_download_rate() ? "; downloads" + rate_cap_note(storage.max_download_rate()) : ""));
  int jobs = req.jobs.value_or(cfg.restore.jobs);
  const Manifest* m = manifest ? &*manifest : nullptr;
  std::string list_path = use_list ? use_list->path() : std::string();
  result.bytes = jobs > 1 ? restore_parallel(cfg, storage, *entry, m, keys, !keep_owners, list_path, tools, temp.name(),
                                             jobs, progress)
                          : restore_streaming(cfg, storage, *entry, m, keys, !keep_owners, list_path, tools, temp.name(),
                                              progress);
  throw_if_cancelled();

  // 4. The row check: the new database must hold the rows the backup recorded, before it
  // gets its final name (a mismatch drops the temporary database on the way out).
  result.row_check = check_restored_rows(cfg, m, temp.name(), tables, req.schemas);
  if (!result.row_check.ok())
    throw RowCheckFailed("the restored database does not hold the rows of backup " + entry->id + " of " +
                         quote_name(db) + ": " + describe_mismatches(result.row_check, "in the backup", "restored") +
                         " — the temporary database was dropped and " + quote_name(target) +
                         (existing.exists ? " was left as it was" : " was not created"),
                         result.row_check);
  throw_if_cancelled();

  // 5. Hand over: replace the older archive only now that the new one is complete.
  if (existing.exists) {
    if (cfg.restore.keep_archives <= 1) {
      session.exec("drop database " + session.quote_ident(target) + " with (force)");
      result.replaced = target;
    } else {
      std::string kept = target + "_" + existing.marker->backup_id;
      if (kept.size() > kMaxIdentifierBytes) kept = target.substr(0, kMaxIdentifierBytes - 17) + "_" + existing.marker->backup_id;
      session.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1", {target});
      if (inspect_database(session, kept).exists) session.exec("drop database " + session.quote_ident(kept) + " with (force)");
      session.exec("alter database " + session.quote_ident(target) + " rename to " + session.quote_ident(kept));
    }
  }
  session.exec("alter database " + session.quote_ident(temp.name()) + " rename to " + session.quote_ident(target));
  temp.release();
  mark_archive_database(session, target, marker);
  if (cfg.restore.keep_archives > 1) keep_newest_archives(session, db, cfg.restore.keep_archives, target);
  result.database = target;
  result.skipped_untrusted = skipped;
  result.source = db;
  result.backup_id = entry->id;
  result.backup_time = entry->time;
  result.legacy = entry->legacy;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace bb
