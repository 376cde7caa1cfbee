// `backupbuddy verify`: prove that stored backups are intact and restorable. One download
// of each backup feeds `pg_restore --list` (the table of contents), a full `pg_restore -f -`
// parse that reads every data block and counts each table's rows, and, with
// --restore-test, a restore into a scratch database whose tables must hold exactly the
// rows the dump holds. The scratch database is always dropped.
#pragma once

#include <map>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "catalog/inventory.h"
#include "catalog/manifest.h"
#include "config/config.h"
#include "ops/context.h"
#include "util/progress.h"

namespace bb {

class Storage;

struct VerifyResult {
  std::string database;
  std::string id;
  bool ok = false;
  std::string error;
  std::uint64_t stored_bytes = 0;
  std::uint64_t dump_bytes = 0;
  std::size_t toc_entries = 0;
  std::size_t tables = 0;  // tables with data in the dump
  std::uint64_t rows = 0;  // rows over all tables
  bool restore_tested = false;
  double seconds = 0;
};

// Verifies the newest backup (every_backup: every backup) of each named database, or of
// every database with backups when none is named, recording each newest backup's result
// in the state file; on_result sees each result as soon as it is known.
std::vector<VerifyResult> verify_databases(RunContext& ctx, std::vector<std::string> databases, bool every_backup,
                                           bool restore_test,
                                           const std::function<void(const VerifyResult&)>& on_result = {});

// Verifies one backup; failures are in the result, never thrown (except cancellation).
VerifyResult verify_backup(RunContext& ctx, const BackupEntry& entry, bool restore_test,
                           const ProgressCallback& progress = {});

// Records a verification of a database's newest backup in the state file (list, status,
// /status, reports). Returns the reason when the state file could not be written.
std::optional<std::string> record_verification(const Config& config, const std::string& database,
                                               const VerifyResult& result);

// Scans pg_restore's SQL output and counts the data rows of each COPY block. Fed in
// arbitrary chunks; memory is bounded whatever the row sizes.
class CopyRowCounter {
 public:
  void feed(const char* data, std::size_t n);
  const RowCounts& counts() const { return counts_; }
  // False when the text ended inside a COPY block (a truncated archive).
  bool complete() const { return !in_copy_; }

 private:
  void end_of_line();
  std::string head_;          // the first bytes of the current line
  std::size_t line_length_ = 0;
  bool in_copy_ = false;
  std::pair<std::string, std::string> table_;
  RowCounts counts_;
};

// Parses `COPY schema.table (...) FROM stdin;` into unquoted (schema, table).
std::optional<std::pair<std::string, std::string>> parse_copy_header(const std::string& line);

}  // namespace bb
