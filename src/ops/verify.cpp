// `backupbuddy verify`.
#include "ops/verify.h"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "ops/reader.h"
#include "ops/backups.h"
#include "ops/outcome.h"
#include "ops/restore.h"
#include "ops/row_check.h"
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
namespace {

constexpr std::size_t kHeadBytes = 64 * 1024;  // COPY headers are far shorter

std::string unquote_ident(const std::string& text, std::size_t& pos, bool& ok) {
  std::string out;
  ok = false;
  if (pos < text.size() && text[pos] == '"') {
    for (++pos; pos < text.size(); ++pos) {
      if (text[pos] == '"') {
        if (pos + 1 < text.size() && text[pos + 1] == '"') {
          out += '"';
          ++pos;
        } else {
          ++pos;
          ok = true;
          return out;
        }
      } else {
        out += text[pos];
      }
    }
    return out;
  }
  while (pos < text.size() && text[pos] != '.' && text[pos] != ' ') out += text[pos++];
  ok = !out.empty();
  return out;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> parse_copy_header(const std::string& line) {
  const std::string prefix = "COPY ";
  if (line.rfind(prefix, 0) != 0) return std::nullopt;
  if (line.find(" FROM stdin;") == std::string::npos) return std::nullopt;
  std::size_t pos = prefix.size();
  bool ok = false;
  std::string schema = unquote_ident(line, pos, ok);
  if (!ok || pos >= line.size() || line[pos] != '.') return std::nullopt;
  ++pos;
  std::string table = unquote_ident(line, pos, ok);
  if (!ok) return std::nullopt;
  return std::make_pair(schema, table);
}

void CopyRowCounter::feed(const char* data, std::size_t n) {
  // Line by line with memchr; of a data row only its first bytes are kept (enough to see
  // the "\\." that ends a COPY block), of other lines enough to parse a COPY header.
  while (n > 0) {
    const char* nl = static_cast<const char*>(std::memchr(data, '\n', n));
    std::size_t len = nl ? static_cast<std::size_t>(nl - data) : n;
    std::size_t want = in_copy_ ? 3 : kHeadBytes;
    if (head_.size() < want) head_.append(data, std::min(len, want - head_.size()));
    line_length_ += len;
    if (!nl) return;
    end_of_line();
    data = nl + 1;
    n -= len + 1;
  }
}

void CopyRowCounter::end_of_line() {
  if (in_copy_) {
    if (line_length_ == 2 && head_ == "\\.") in_copy_ = false;
    else ++counts_[table_];
  } else if (auto t = parse_copy_header(head_)) {
    in_copy_ = true;
    table_ = *t;
    counts_.emplace(table_, 0);
  }
  head_.clear();
  line_length_ = 0;
}

VerifyResult verify_backup(RunContext& ctx, const BackupEntry& entry, bool restore_test,
                           const ProgressCallback& progress) {
  const Config& config = ctx.config();
  Storage& storage = ctx.storage();
  VerifyResult r;
  r.database = entry.db;
  r.id = entry.id;
  r.stored_bytes = entry.stored_bytes;
  record_outcome(r, [&](std::chrono::steady_clock::time_point&) {
    std::optional<Manifest> m = load_manifest(storage, entry);
    if (m && entry.stored_bytes != m->stored_bytes)
      throw OperationError("the stored object " + entry.data_key + " has " + std::to_string(entry.stored_bytes) +
                           " bytes but its manifest says " + std::to_string(m->stored_bytes) + " — it is damaged");
    DecryptionKeys keys = load_decryption_keys(config.encryption);
    if (entry.encrypted) check_can_decrypt(storage, entry, keys);
    PgSession& session = ctx.session();
    const PgTools& tools = ctx.tools();
    std::optional<ScratchDatabase> scratch;
    std::optional<DatabaseLock> scratch_lock;
    if (restore_test) {
      drop_abandoned_restores(session);
      scratch.emplace(session, "bb_verify", m ? &*m : nullptr);
      // Locked before it is marked: a cleaner that sees the mark also sees the lock.
      scratch_lock.emplace(session, scratch->name(), "verify");
      mark_restore_test_database(session, scratch->name(), entry.db, entry.id);
    }

    std::string toc;
    CopyRowCounter counter;
    std::uint64_t dump_bytes = 0;
    {
      ArchiveReader list(pg_restore_list(tools), [&](const char* d, std::size_t n) { toc.append(d, n); },
                  true);
      ArchiveReader parse(pg_restore_to_sql(tools),
                   [&](const char* d, std::size_t n) { counter.feed(d, n); }, false);
      std::optional<ArchiveReader> restore;
      if (scratch) {
        restore.emplace(pg_restore_into(tools, config.postgres, scratch->name(), owner_args(config.restore, false)),
                        nullptr, false);
      }
      try {
        read_dump(storage, entry, m ? &*m : nullptr, keys,
                  [&](const char* d, std::size_t n) {
                    dump_bytes += n;
                    list.write(d, n);
                    parse.write(d, n);
                    if (restore) restore->write(d, n);
                  },
                  progress, "verify " + entry.db + " " + entry.id);
      } catch (const ConsumerFailed&) {
        // A pg_restore stopped reading: its own message below says why.
      }
      int list_code = list.finish();
      int parse_code = parse.finish();
      if (list_code != 0)
        throw OperationError("the dump's table of contents is unreadable (pg_restore --list: " + list.error_text() + ")");
      if (parse_code != 0)
        throw OperationError("the dump is incomplete or damaged (pg_restore: " + parse.error_text() + ")");
      if (restore && restore->finish() != 0)
        throw OperationError("the restore test failed (pg_restore: " + restore->error_text() + ")");
    }
    if (!counter.complete()) throw OperationError("the dump ends inside a table's data — it is truncated");
    if (m && dump_bytes != m->dump_bytes)
      throw OperationError("the dump has " + std::to_string(dump_bytes) + " bytes but the manifest recorded " +
                           std::to_string(m->dump_bytes));
    for (std::size_t pos = 0; pos < toc.size();) {
      std::size_t end = toc.find('\n', pos);
      if (end == std::string::npos) end = toc.size();
      if (end > pos && toc[pos] != ';') ++r.toc_entries;
      pos = end + 1;
    }
    r.dump_bytes = dump_bytes;
    r.tables = counter.counts().size();
    // An empty database dumps an empty table of contents; a database that had tables must not.
    if (m && m->table_count > 0 && r.tables == 0)
      throw OperationError("the dump holds no table data, but the database had " + std::to_string(m->table_count) +
                           " tables when it was backed up");
    for (const auto& [table, rows] : counter.counts()) r.rows += rows;
    // The rows recorded at backup time must be the rows the stored dump holds.
    if (m && !m->row_counts.empty()) {
      RowCheck check = compare_row_counts(m->row_counts, counter.counts());
      if (!check.ok())
        throw OperationError("the stored dump does not hold the rows the manifest recorded at backup time: " +
                             describe_mismatches(check, "in the manifest", "in the stored dump"));
    }
    if (scratch) {
      PgSession in_scratch = PgSession::connect(config.postgres, scratch->name());
      RowCheck check = compare_row_counts(counter.counts(), count_table_rows(in_scratch));
      if (!check.ok())
        throw OperationError("the restore test does not hold the rows of the dump: " +
                             describe_mismatches(check, "in the dump", "restored"));
      r.restore_tested = true;
    }
    r.ok = true;
  });
  return r;
}

std::optional<std::string> record_verification(const Config& config, const std::string& database,
                                               const VerifyResult& result) {
  try {
    StateStore(state_directory(config.backup.state_dir)).update(database, [&](DatabaseState& s) {
      s.verified_at = std::chrono::system_clock::now();
      s.verify_ok = result.ok;
      s.verified_id = result.id;
      s.restore_tested = result.restore_tested;
      s.verify_error = result.error;
    });
    return std::nullopt;
  } catch (const std::exception& e) {
    return std::string("could not record the verification in the state file: ") + e.what();
  }
}

std::vector<VerifyResult> verify_databases(RunContext& ctx, std::vector<std::string> databases, bool every_backup,
                                           bool restore_test, const std::function<void(const VerifyResult&)>& on_result) {
  const Config& config = ctx.config();
  Storage& storage = ctx.storage();
  if (databases.empty()) {
    Inventory inv = build_inventory(storage.list(""), config.storage.legacy);
    for (const auto& [db, list] : inv.backups) databases.push_back(db);
  }
  std::vector<VerifyResult> results;
  for (const auto& db : databases) {
    std::vector<BackupEntry> backups = list_database_backups(config, storage, db);
    if (backups.empty()) {
      VerifyResult r;
      r.database = db;
      r.error = "no backups of " + quote_name(db) + " in " + storage.describe();
      if (on_result) on_result(r);
      results.push_back(r);
      continue;
    }
    std::size_t count = every_backup ? backups.size() : 1;
    for (std::size_t i = 0; i < count; ++i) {
      VerifyResult r = verify_backup(ctx, backups[i], restore_test);
      if (i == 0)  // the state tracks the newest backup's verification
        if (auto problem = record_verification(config, db, r)) log::warn(*problem);
      if (on_result) on_result(r);
      results.push_back(r);
    }
  }
  return results;
}

}  // namespace bb
