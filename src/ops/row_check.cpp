// The row check.
#include "ops/row_check.h"

#include <algorithm>

#include "pg/session.h"
#include "util/format.h"

namespace bb {

RowCounts count_table_rows(PgSession& s) {
  // Every row, or an error: a row-level security policy must not make a table look short.
  s.exec("set row_security = off");
  RowCounts out;
  auto tables = s.query(
      "select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
      "where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') "
      "and n.nspname not like 'pg\\_toast%' order by 1, 2");
  for (const auto& t : tables) {
    std::string q = s.quote_ident(*t[0]) + "." + s.quote_ident(*t[1]);
    out[{*t[0], *t[1]}] = std::stoull(s.scalar("select count(*) from " + q).value_or("0"));
  }
  return out;
}

RowCheck compare_row_counts(const RowCounts& expected, const RowCounts& found) {
  RowCheck check;
  check.checked = true;
  for (const auto& [table, rows] : expected) {
    ++check.tables;
    check.rows += rows;
    auto it = found.find(table);
    if (it == found.end())
      check.mismatched.push_back({table.first, table.second, rows, std::nullopt});
    else if (it->second != rows)
      check.mismatched.push_back({table.first, table.second, rows, it->second});
  }
  return check;
}

RowCheck row_check_not_made(const std::string& why) {
  RowCheck check;
  check.not_checked = why;
  return check;
}

std::string describe_mismatches(const RowCheck& check, const std::string& expected_side,
                                const std::string& found_side) {
  std::string out;
  for (const auto& m : check.mismatched) {
    if (!out.empty()) out += "; ";
    out += quote_name(m.schema) + "." + quote_name(m.table) + ": " + std::to_string(m.expected) + " rows " +
           expected_side + ", " +
           (m.found ? std::to_string(*m.found) + " " + found_side : std::string("the table is missing"));
  }
  return out;
}

std::string row_check_summary(const RowCheck& check) {
  if (!check.checked) return "not checked: " + check.not_checked;
  if (!check.mismatched.empty())
    return std::to_string(check.mismatched.size()) + " of " + std::to_string(check.tables) +
           " tables differ from the backup";
  return std::to_string(check.tables) + (check.tables == 1 ? " table, " : " tables, ") + std::to_string(check.rows) +
         (check.rows == 1 ? " row" : " rows") + ", all as in the backup";
}

RowCounts restored_subset(const RowCounts& counts, const std::vector<std::pair<std::string, std::string>>& tables,
                          const std::vector<std::string>& schemas) {
  if (tables.empty() && schemas.empty()) return counts;
  RowCounts out;
  for (const auto& [table, rows] : counts)
    if (std::find(tables.begin(), tables.end(), table) != tables.end() ||
        std::find(schemas.begin(), schemas.end(), table.first) != schemas.end())
      out[table] = rows;
  return out;
}

}  // namespace bb
