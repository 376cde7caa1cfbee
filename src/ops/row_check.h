// The row check: the rows of every table of a database BackupBuddy made (a restore, a
// restore test) counted and compared with the counts the backup recorded. One comparison,
// one wording of its mismatches, shared by restore and verify.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/manifest.h"

namespace bb {

class PgSession;

// One table whose rows differ; `found` is empty when the table is missing.
struct RowMismatch {
  std::string schema;
  std::string table;
  std::uint64_t expected = 0;
  std::optional<std::uint64_t> found;
};

// The outcome of comparing expected with found rows.
struct RowCheck {
  bool checked = false;
  std::string not_checked;  // why not, when !checked
  std::size_t tables = 0;   // tables compared
  std::uint64_t rows = 0;   // rows expected over those tables
  std::vector<RowMismatch> mismatched;
  double seconds = 0;       // counting the rows took
  bool ok() const { return !checked || mismatched.empty(); }
};

// Counts the rows (`select count(*)`) of every user table of the session's database, with
// row_security off (a policy that would hide rows makes the count fail instead).
RowCounts count_table_rows(PgSession& session);

// Compares the tables of `expected` with `found` (tables only in `found` are not judged:
// an extension may create tables of its own).
RowCheck compare_row_counts(const RowCounts& expected, const RowCounts& found);

// A check that could not be made, with the reason.
RowCheck row_check_not_made(const std::string& why);

// "public.entries: 200 in the backup, 199 restored; public.gone: 5 in the backup, missing"
// with the two sides named by the caller.
std::string describe_mismatches(const RowCheck& check, const std::string& expected_side,
                                const std::string& found_side);

// "3 tables, 1200 rows, all as in the backup" or "not checked: <reason>".
std::string row_check_summary(const RowCheck& check);

// The manifest's counts restricted to the tables a partial restore brought: schema.table
// names in `tables`, whole schemas in `schemas`; both empty: every table.
RowCounts restored_subset(const RowCounts& counts, const std::vector<std::pair<std::string, std::string>>& tables,
                          const std::vector<std::string>& schemas);

}  // namespace bb
