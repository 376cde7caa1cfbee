// `backupbuddy backup`.
#include "ops/backup.h"

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
#include "ops/outcome.h"
#include "crypto/age.h"
#include "ops/prune.h"
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
#include "ops/runs.h"
#include "version.h"

namespace bb {
namespace {

constexpr std::size_t kReadChunk = 1 << 20;
constexpr char kCustomFormatMagic[] = "PGDMP";

std::string last_lines(const std::string& text, int n) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  std::size_t pos = t.size();
  for (int i = 0; i < n && pos != std::string::npos && pos > 0; ++i) pos = t.rfind('\n', pos - 1);
  std::string tail = (pos == std::string::npos || pos == 0) ? t : t.substr(pos + 1);
  for (auto& c : tail)
    if (c == '\n') c = ' ';
  return tail;
}

// A backup id not yet used for this database (ids have one-second resolution).
std::string fresh_backup_id(Storage& storage, const std::string& db, TimePoint& started) {
  for (;;) {
    started = std::chrono::system_clock::now();
    std::string id = format_backup_id(started);
    if (!storage.head(manifest_key(db, id)) && !storage.head(data_key(db, id, false)) &&
        !storage.head(data_key(db, id, true)))
      return id;
    std::this_thread::sleep_for(std::chrono::milliseconds(1000 - (std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                     started.time_since_epoch()).count() % 1000)));
  }
}

// The database to back up does not exist on the server.
class DatabaseMissing : public OperationError {
 public:
  using OperationError::OperationError;
};

struct DbFacts {
  std::string encoding, collate, ctype;
  std::uint64_t size = 0;
  std::int64_t tables = -1;
};

DbFacts database_facts(RunContext& ctx, const std::string& db) {
  auto rows = ctx.session().query(
      "select pg_encoding_to_char(encoding), datcollate, datctype, pg_database_size(oid)::text, datallowconn::text "
      "from pg_database where datname = $1",
      {db});
  if (rows.empty())
    throw DatabaseMissing("database " + quote_name(db) + " does not exist on " + ctx.session().where() +
                          " — check the name in [[databases]] or on the command line");
  if (rows[0][4] != std::optional<std::string>("true"))
    throw OperationError("database " + quote_name(db) + " does not allow connections (datallowconn = false) — it cannot be dumped");
  DbFacts f{rows[0][0].value_or(""), rows[0][1].value_or(""), rows[0][2].value_or(""),
            std::stoull(rows[0][3].value_or("0")), -1};
  PgSession in_db = PgSession::connect(ctx.config().postgres, db);
  f.tables = std::stoll(in_db.scalar(
                             "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                             "where c.relkind in ('r','p') and n.nspname not in ('pg_catalog','information_schema') "
                             "and n.nspname not like 'pg\\_toast%'")
                            .value_or("-1"));
  return f;
}

// The table pg_dump could not lock within --lock-wait-timeout, from its stderr
// ("Query was: LOCK TABLE public.t IN ACCESS SHARE MODE"), or nullopt.
std::optional<std::string> lock_timeout_table(const std::string& stderr_text) {
  // pg_dump enforces --lock-wait-timeout with a statement timeout on its LOCK TABLE.
  if (stderr_text.find("lock timeout") == std::string::npos && stderr_text.find("statement timeout") == std::string::npos)
    return std::nullopt;
  const std::string marker = "LOCK TABLE ";
  std::size_t pos = stderr_text.find(marker);
  if (pos == std::string::npos) return std::nullopt;
  pos += marker.size();
  std::size_t end = stderr_text.find(" IN ", pos);
  if (end == std::string::npos) return std::nullopt;
  return stderr_text.substr(pos, end - pos);
}

// Who holds a lock on `table` in database `db`: "server process 123 (user bob, app psql,
// in a transaction since 10:02:11: LOCK TABLE t IN ACCESS EXCLUSIVE MODE)".
std::string lock_holders(RunContext& ctx, const std::string& db, const std::string& table) {
  try {
    PgSession in_db = PgSession::connect(ctx.config().postgres, db);
    auto rows = in_db.query(
        "select distinct l.pid::text, coalesce(a.usename, ''), coalesce(a.application_name, ''), "
        "coalesce(to_char(a.xact_start, 'YYYY-MM-DD HH24:MI:SS'), ''), left(coalesce(a.query, ''), 120) "
        "from pg_locks l join pg_stat_activity a on a.pid = l.pid "
        "where l.relation = to_regclass($1) and l.granted and l.pid <> pg_backend_pid()",
        {table});
    if (rows.empty()) return "another session (it has ended since)";
    std::string out;
    for (const auto& r : rows) {
      if (!out.empty()) out += "; ";
      out += "server process " + r[0].value_or("?") + " (user " + r[1].value_or("?") + ", application " +
             quote_name(r[2].value_or("")) + ", in a transaction since " + r[3].value_or("?") + ": " +
             r[4].value_or("") + ")";
    }
    return out;
  } catch (const std::exception& e) {
    return std::string("another session (could not look it up: ") + e.what() + ")";
  }
}

// The age encryptor of [encryption], or nullopt when backups are not encrypted.
std::optional<AgeEncryptor> make_encryptor(const EncryptionConfig& e) {
  if (!e.recipients.empty()) return AgeEncryptor::to_recipients(e.recipients);
  if (e.passphrase_file) return AgeEncryptor::with_passphrase(load_decryption_keys(e).passphrase.value());
  return std::nullopt;
}

void run_dump(RunContext& ctx, const std::string& db, const DbFacts& facts, Manifest& m,
              const ProgressCallback& progress_cb) {
  const Config& cfg = ctx.config();
  ProcessSpec spec;
  spec.program = ctx.tools().pg_dump;
  spec.args = {"--format=custom", "--compress=0", "--no-password",
               "--lock-wait-timeout=" + std::to_string(cfg.backup.lock_wait_timeout.count() * 1000)};
  spec.env_set = pg_child_env(cfg.postgres, db);
  spec.pipe_stdout = true;
  Process dump = Process::spawn(spec);

  std::unique_ptr<ObjectWriter> writer = ctx.storage().open_writer(m.data_key, facts.size);
  ZstdCompressor compressor(cfg.backup.compression_level, cfg.backup.compression_threads);
  Sha256 sha;
  std::uint64_t stored = 0;
  ByteSink to_storage = [&](const char* data, std::size_t n) {
    sha.update(data, n);
    stored += n;
    writer->write(data, n);
  };
  // pg_dump -> zstd -> [age] -> SHA-256 -> storage
  std::optional<AgeEncryptor> encryptor = make_encryptor(cfg.encryption);
  ByteSink to_encryptor = [&](const char* data, std::size_t n) { encryptor->write(data, n, to_storage); };
  const ByteSink& after_compression = encryptor ? to_encryptor : to_storage;
  // pg_dump's archive is also read back on the fly by pg_restore: a backup is committed only
  // when the whole archive parses, and the rows of every table are counted from it.
  CopyRowCounter counter;
  ArchiveReader parse(pg_restore_to_sql(ctx.tools()),
                      [&](const char* d, std::size_t n) { counter.feed(d, n); }, false);
  Progress progress("backup " + db + rate_cap_note(ctx.storage().max_upload_rate()), facts.size, progress_cb);
  std::vector<char> buf(kReadChunk);
  std::uint64_t dumped = 0;
  std::string head;
  for (;;) {
    // Poll so that a stop request is honoured even while pg_dump is silent (waiting
    // for a lock): the upload is then aborted and pg_dump stopped by the destructors.
    auto silent_since = std::chrono::steady_clock::now();
    while (!dump.wait_stdout(std::chrono::milliseconds(250))) {
      throw_if_cancelled();
      progress.update(dumped, "pg_dump is waiting (a locked table?)");
      if (std::chrono::steady_clock::now() - silent_since >= cfg.backup.stall_timeout) {
        dump.terminate();
        throw OperationError("pg_dump of " + quote_name(db) + " produced no data for " +
                             human_seconds(static_cast<double>(cfg.backup.stall_timeout.count())) +
                             " and was stopped — check the server for blocked or very slow queries "
                             "([backup] stall_timeout); nothing was stored for this run");
      }
    }
    throw_if_cancelled();
    std::size_t n = dump.read_stdout(buf.data(), buf.size());
    if (n == 0) break;
    if (head.size() < 5) head.append(buf.data(), std::min<std::size_t>(n, 5 - head.size()));
    dumped += n;
    try {
      parse.write(buf.data(), n);
    } catch (const ConsumerFailed&) {
      // pg_restore stopped reading: reported after pg_dump's own result below.
    }
    compressor.write(buf.data(), n, after_compression);
    progress.update(dumped, human_bytes(stored) + " stored");
  }
  compressor.finish(after_compression);
  if (encryptor) encryptor->finish(to_storage);
  progress.finish();
  int code = dump.wait();
  if (code != 0) {
    std::string stderr_text = log::mask_secrets(dump.stderr_text());
    if (auto blocked = lock_timeout_table(stderr_text))
      throw OperationError("pg_dump of " + quote_name(db) + " gave up waiting " +
                           human_seconds(static_cast<double>(cfg.backup.lock_wait_timeout.count())) +
                           " for a lock on table " + *blocked + ", held by " + lock_holders(ctx, db, *blocked) +
                           " — end that transaction or raise [backup] lock_wait_timeout; nothing was stored");
    std::string why = last_lines(stderr_text, 3);
    throw OperationError("pg_dump of " + quote_name(db) + " failed (" + dump.describe_exit() + "): " +
                         (why.empty() ? "no message" : why) + " — nothing was stored for this run");
  }
  if (dumped < 5 || head != kCustomFormatMagic)
    throw OperationError("pg_dump of " + quote_name(db) + " exited 0 but produced " +
                         (dumped == 0 ? std::string("no output") : std::string("no custom-format archive")) +
                         " — nothing was stored; check the server log");
  if (parse.finish() != 0 || !counter.complete())
    throw OperationError("pg_dump of " + quote_name(db) + " exited 0 but its archive does not read back completely (" +
                         parse.error_text() + ") — nothing was stored; check the server log and disk");
  m.row_counts = counter.counts();
  writer->commit();
  m.dump_bytes = dumped;
  m.stored_bytes = stored;
  m.sha256 = sha.hex_digest();
}

// The manifest of the database's newest backup, if any (for the shrink warnings).
std::optional<Manifest> previous_manifest(RunContext& ctx, const std::string& db) {
  try {
    auto backups = list_database_backups(ctx.config(), ctx.storage(), db);
    auto now = std::chrono::system_clock::now();
    for (const auto& b : backups)  // a future-dated object is no "previous" backup
      if (!b.legacy && future_date_reason(b, now).empty()) return load_manifest(ctx.storage(), b);
  } catch (const std::exception& e) {
    log::debug(std::string("no previous manifest: ") + e.what());
  }
  return std::nullopt;
}

// "Silent false success" guards: a dump much smaller than the previous one, or a database
// that had tables and now dumps none, is reported (the backup itself stands).
std::vector<std::string> shrink_warnings(const Config& cfg, const std::string& db, const Manifest& now,
                                         const std::optional<Manifest>& before) {
  std::vector<std::string> out;
  if (now.table_count == 0 && before && before->table_count > 0)
    out.push_back(quote_name(db) + " has no tables now, but had " + std::to_string(before->table_count) +
                  " at the previous backup (" + before->id + ") — check that the data is really gone");
  else if (now.table_count == 0)
    out.push_back(quote_name(db) + " has no tables — check that this is the right database");
  if (before && cfg.backup.shrink_warning > 0 && before->dump_bytes > 0 &&
      static_cast<double>(now.dump_bytes) < cfg.backup.shrink_warning * static_cast<double>(before->dump_bytes))
    out.push_back(quote_name(db) + ": dump is " + human_bytes(now.dump_bytes) + ", the previous one was " +
                  human_bytes(before->dump_bytes) + " — check that the data is really gone");
  return out;
}

// Confirms that the new backup shows in a listing of its database's folder, as list,
// prune and restore see backups; a few tries give a slow (eventually consistent) listing
// time. Throws when it does not: a backup nobody can find is no backup. Its objects are
// left in place (see README, "What a backup does").
void confirm_listed(RunContext& ctx, const std::string& db, const Manifest& m) {
  constexpr int kTries = 3;
  for (int attempt = 1;; ++attempt) {
    std::vector<BackupEntry> listed;
    try {
      listed = list_database_backups(ctx.config(), ctx.storage(), db);
    } catch (const StorageError& e) {
      throw StorageError("backup " + m.id + " of " + quote_name(db) + " was stored, but listing its folder to "
                         "confirm it failed: " + e.what() + " — the objects were left in place");
    }
    for (const auto& b : listed)
      if (!b.legacy && b.id == m.id) return;
    if (attempt == kTries) break;
    for (int i = 0; i < attempt * 4; ++i) {  // 1 s, then 2 s
      throw_if_cancelled();
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  throw StorageError("backup " + m.id + " of " + quote_name(db) + " was stored (" + m.data_key + ", " +
                     manifest_key(db, m.id) + " in " + ctx.storage().describe() +
                     ") but a listing of the database's folder does not show it after " + std::to_string(kTries) +
                     " tries, so list, prune and restore cannot find it: it does not count — check [storage] prefix "
                     "and the provider's listing (ListObjectsV2); the objects were left in place");
}

}  // namespace

BackupResult backup_database(RunContext& ctx, const std::string& db, const ProgressCallback& progress) {
  BackupResult r;
  r.database = db;
  record_outcome(r, [&](std::chrono::steady_clock::time_point& t0) {
    DbFacts facts = database_facts(ctx, db);
    DatabaseLock lock(ctx.session(), db, "back it up");
    Manifest m;
    m.database = db;
    m.id = fresh_backup_id(ctx.storage(), db, m.started_at);
    t0 = std::chrono::steady_clock::now();  // the wait for a free id is not the backup's time
    const EncryptionConfig& enc = ctx.config().encryption;
    bool encrypted = !enc.recipients.empty() || enc.passphrase_file.has_value();
    m.data_key = data_key(db, m.id, encrypted);
    if (!enc.recipients.empty()) m.encryption_recipients = enc.recipients;
    else if (encrypted) m.encryption_recipients = {"scrypt"};  // passphrase: no public key to record
    m.server_version = ctx.session().server_version();
    m.pg_dump_version = ctx.tools().pg_dump_version;
    m.compression_level = ctx.config().backup.compression_level;
    m.tool_version = BACKUPBUDDY_VERSION;
    m.encoding = facts.encoding;
    m.collate = facts.collate;
    m.ctype = facts.ctype;
    m.table_count = facts.tables;
    m.database_size_bytes = facts.size;
    log::debug("backing up " + quote_name(db) + " to " + m.data_key);
    std::optional<Manifest> previous = previous_manifest(ctx, db);
    run_dump(ctx, db, facts, m, progress);
    m.finished_at = std::chrono::system_clock::now();
    try {
      ctx.storage().put(manifest_key(db, m.id), manifest_to_json(m));
    } catch (...) {
      // Without its manifest the data object is not a backup: remove it, then report.
      try {
        ctx.storage().remove({m.data_key});
      } catch (...) {
      }
      throw;
    }
    confirm_listed(ctx, db, m);
    r.ok = true;
    r.id = m.id;
    r.data_key = m.data_key;
    r.encrypted = !m.encryption_recipients.empty();
    r.dump_bytes = m.dump_bytes;
    r.stored_bytes = m.stored_bytes;
    for (auto& w : shrink_warnings(ctx.config(), db, m, previous)) r.warnings.push_back(std::move(w));
  }, [&](const std::exception& e) { r.database_missing = dynamic_cast<const DatabaseMissing*>(&e) != nullptr; });
  return r;
}

void after_backup(RunContext& ctx, BackupResult& r, bool prune) {
  const Config& config = ctx.config();
  // 1. verify_after_backup: a backup that does not verify counts as failed (and so is
  //    not a reason to prune older ones).
  if (r.ok && config.backup.verify_after_backup != VerifyAfterBackup::kNone) {
    BackupEntry entry{.db = r.database, .id = r.id, .time = parse_backup_id(r.id).value_or(TimePoint{}),
                      .encrypted = r.encrypted, .data_key = r.data_key, .manifest_key = manifest_key(r.database, r.id),
                      .stored_bytes = r.stored_bytes};
    VerifyResult v = verify_backup(ctx, entry, config.backup.verify_after_backup == VerifyAfterBackup::kRestore);
    r.verified = v.ok;
    if (!v.ok) {
      r.ok = false;
      r.error = "the backup was stored but failed verification: " + v.error;
    }
    if (auto problem = record_verification(config, r.database, v)) r.warnings.push_back(*problem);
  }
  // 2. The state file: the last run of this database. A database that does not exist and
  //    is not in [[databases]] (a typo on the command line) leaves no entry behind.
  const bool unknown_name = r.database_missing && !config.find_database(r.database);
  if (!unknown_name) try {
    StateStore(state_directory(config.backup.state_dir)).update(r.database, [&](DatabaseState& s) {
      s.backup_at = std::chrono::system_clock::now();
      s.backup_ok = r.ok;
      s.backup_error = r.error;
      s.backup_seconds = r.seconds;
      if (r.ok) {
        s.backup_id = r.id;
        s.dump_bytes = r.dump_bytes;
        s.stored_bytes = r.stored_bytes;
      }
    });
  } catch (const std::exception& e) {
    r.warnings.push_back(std::string("could not record the result in the state file: ") + e.what());
  }
  // 3. Retention, only right after this database's own backup succeeded.
  if (r.ok && prune) {
    try {
      // The backup just made stays whatever else the store holds (a host whose clock runs
      // ahead may have written a "newer" one into the same period).
      PruneReport p = prune_database(ctx, r.database, false, {r.id});
      for (auto& note : untrusted_notes(p)) r.warnings.push_back(std::move(note));
      std::size_t n = p.plan.drop().size();
      if (n > 0 || p.orphans_removed > 0)
        log::info("pruned " + quote_name(r.database) + ": deleted " + std::to_string(n) + " old backup(s), kept " +
                  std::to_string(p.plan.keep().size()) +
                  (p.orphans_removed ? ", removed " + std::to_string(p.orphans_removed) + " orphan object(s)" : ""));
    } catch (const std::exception& e) {
      r.warnings.push_back("pruning " + quote_name(r.database) + " failed: " + log::mask_secrets(e.what()) +
                           " — old backups were kept; run `backupbuddy prune` after fixing the cause");
    }
  }
}

std::vector<std::string> databases_to_back_up(const Config& config, PgSession& session,
                                              const std::vector<std::string>& named, bool all) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& n) {
    if (seen.insert(n).second) out.push_back(n);
  };
  if (!named.empty()) {
    for (const auto& n : named) add(n);
    return out;
  }
  if (all || config.backup.all_databases) {
    std::set<std::string> exclude(config.backup.exclude.begin(), config.backup.exclude.end());
    for (const auto& row : session.query(
             "select datname from pg_database where not datistemplate and datallowconn order by datname"))
      if (!exclude.count(*row[0])) add(*row[0]);
    return out;
  }
  for (const auto& db : config.databases) add(db.name);
  if (out.empty())
    throw ConfigError("no databases to back up", Remedy::kNameDatabases);
  return out;
}

std::string store_globals(RunContext& ctx, const std::string& run_id) {
  const Config& config = ctx.config();
  ProcessSpec spec{ctx.tools().bin_dir + "/pg_dumpall",
                   {"--globals-only", "--no-role-passwords", "--no-password",
                    "--database=" + config.postgres.maintenance_db}};
  spec.env_set = pg_child_env(config.postgres, config.postgres.maintenance_db);
  spec.pipe_stdout = true;
  ProcessResult out = run_process(spec);
  if (out.exit_code != 0)
    throw OperationError("pg_dumpall --globals-only failed (exit " + std::to_string(out.exit_code) +
                         "): " + last_lines(log::mask_secrets(out.stderr_text), 3));
  // Encrypted like the backups when [encryption] is configured.
  std::optional<AgeEncryptor> encryptor = make_encryptor(config.encryption);
  std::string key = globals_key(run_id, encryptor.has_value());
  // Another run that started within this very second stored them: that object serves this
  // run too, and it is not ours to replace.
  if (ctx.storage().head(key)) return "";
  if (!encryptor) {
    ctx.storage().put(key, out.stdout_text);
    return key;
  }
  std::string sealed;
  ByteSink to_sealed = [&](const char* d, std::size_t n) { sealed.append(d, n); };
  encryptor->write(out.stdout_text.data(), out.stdout_text.size(), to_sealed);
  encryptor->finish(to_sealed);
  ctx.storage().put(key, sealed);
  return key;
}

namespace {

// The body of run_backups, once the lock is held.
std::vector<BackupResult> back_up_run(RunContext& run, const Config& config, const std::vector<std::string>& named,
                                      bool all, bool prune,
                                      const std::function<void(const BackupResult&)>& on_result,
                                      const ProgressCallback& progress) {
  std::vector<std::string> dbs = databases_to_back_up(config, run.session(), named, all);
  run.tools();  // found once, before any database: a missing pg_dump fails the run at once
  log::info("backing up " + std::to_string(dbs.size()) + " database(s) from " + run.session().where() + " to " +
            run.storage().describe() + rate_cap_note(run.storage().max_upload_rate()));
  // The roles the dumps' objects belong to, so that `restore --create-roles` can bring them
  // to another server: stored once this run has backed up a database (a run that backs up
  // nothing adds nothing to the store), under the run's start, so at or before every backup
  // id of the run. A failure here costs no database its backup.
  const std::string run_id = format_backup_id(std::chrono::system_clock::now());
  std::once_flag globals_once;
  auto keep_globals = [&](RunContext& ctx) {
    std::call_once(globals_once, [&] {
      try {
        std::string key = store_globals(ctx, run_id);
        if (!key.empty()) log::debug("stored the server's globals as " + key);
      } catch (const Error& e) {
        log::warn(std::string("the server's roles (globals) were not stored: ") + e.what());
      }
    });
  };

  // With every database of the server: which are new to the store, which are gone.
  bool whole_server = all || config.backup.all_databases;
  std::set<std::string> stored_before, on_server;
  if (whole_server) {
    try {
      for (const auto& [db, list] : build_inventory(run.storage().list(""), config.storage.legacy).backups)
        stored_before.insert(db);
      for (const auto& row : run.session().query("select datname from pg_database")) on_server.insert(*row[0]);
    } catch (const Error& e) {
      whole_server = false;
      log::warn(std::string("cannot tell new and vanished databases apart: ") + e.what());
    }
  }

  std::vector<BackupResult> results(dbs.size());
  std::mutex out_mutex;
  auto report = [&](const BackupResult& r) {
    std::lock_guard<std::mutex> g(out_mutex);
    if (r.ok)
      log::info("ok: " + quote_name(r.database) + " backup " + r.id + " (" + human_bytes(r.dump_bytes) + " dumped, " +
                human_bytes(r.stored_bytes) + " stored, " + human_seconds(r.seconds) + ")");
    else
      log::error("" + quote_name(r.database) + " was not backed up: " + r.error);
    for (const auto& w : r.warnings) log::warn(w);
  };
  // Retention runs for a database only right after its own backup in this run succeeded:
  // a failing database keeps every backup it has.
  auto finish = [&](RunContext& ctx, BackupResult& r) {
    r.first_backup = whole_server && r.ok && !stored_before.count(r.database);
    if (r.ok) keep_globals(ctx);
    after_backup(ctx, r, prune);
    report(r);
    if (on_result) on_result(r);
  };
  int workers = std::min<int>(config.backup.parallel, static_cast<int>(dbs.size()));
  if (workers <= 1) {
    for (std::size_t i = 0; i < dbs.size(); ++i) {
      results[i] = backup_database(run, dbs[i], progress);
      finish(run, results[i]);
    }
  } else {
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> threads;
    std::exception_ptr failure;
    for (int w = 0; w < workers; ++w)
      threads.emplace_back([&] {
        try {
          RunContext own(config, run.storage());  // its own session; the store is shared
          for (std::size_t i = next++; i < dbs.size(); i = next++) {
            results[i] = backup_database(own, dbs[i], progress);
            finish(own, results[i]);
          }
        } catch (...) {
          std::lock_guard<std::mutex> g(out_mutex);
          if (!failure) failure = std::current_exception();
        }
      });
    for (auto& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
  }
  for (const auto& db : stored_before)
    if (whole_server && !on_server.count(db)) {
      BackupResult gone;
      gone.database = db;
      gone.ok = true;
      gone.vanished = true;
      log::warn(quote_name(db) + " is gone from the server; its backups are kept");
      results.push_back(gone);
    }
  // The stored globals go with the backups: those older than every backup left are deleted,
  // only after a run in which every database succeeded (a failed run deletes nothing).
  bool all_ok = std::all_of(results.begin(), results.end(), [](const BackupResult& r) { return r.ok; });
  if (prune && all_ok) {
    try {
      prune_globals(run.storage(), build_inventory(run.storage().list(""), config.storage.legacy), false);
    } catch (const Error& e) {
      log::warn(std::string("old copies of the server's roles were not pruned: ") + e.what());
    }
  }
  return results;
}

// Writes the run's record into the store; a store that cannot be opened costs only a warning.
void record_run(RunContext& run, RunRecord& record) {
  record.finished_at = std::chrono::system_clock::now();
  try {
    store_run_record(run.storage(), record);
  } catch (const std::exception& e) {
    log::warn("the run record was not stored: " + log::mask_secrets(e.what()));
  }
}

}  // namespace

std::vector<BackupResult> run_backups(const Config& config, const std::vector<std::string>& named, bool all,
                                      bool prune, const std::string& command,
                                      const std::function<void(const BackupResult&)>& on_result,
                                      const ProgressCallback& progress,
                                      const std::function<void()>& on_started) {
  log_config_warnings(config);
  LockFile lock(state_directory(config.backup.state_dir) + "/backup.lock", command);
  if (on_started) on_started();
  // Every run leaves its record in the store (ops/runs.h), a run that failed as a whole too.
  RunRecord record = begin_run_record(config, command, std::chrono::system_clock::now());
  RunContext run(config);
  try {
    record.results = back_up_run(run, config, named, all, prune, on_result, progress);
  } catch (const Error& e) {
    record.error = log::mask_secrets(e.what());
    record_run(run, record);
    throw;
  }
  record_run(run, record);
  return record.results;
}

}  // namespace bb
