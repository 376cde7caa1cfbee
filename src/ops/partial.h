// Part of a database: which entries of a backup's table of contents `restore --table` /
// `--schema` brings (the tables with their data, indexes, constraints, triggers, defaults
// and the types, functions, schemas and sequences they need), as a pg_restore --use-list.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace bb {

// One entry of `pg_restore --list --verbose` output.
struct TocEntry {
  int id = 0;
  std::string type;    // "TABLE", "TABLE DATA", "FK CONSTRAINT", …
  std::string schema;  // "-" when none
  std::string name;
  std::vector<int> depends_on;
  std::string line;    // the entry's line as listed
};

// Parses `pg_restore --list --verbose` output (entries and their "depends on" lines).
std::vector<TocEntry> parse_toc(const std::string& verbose_toc);

// "schema.name" as (schema, name); a name without a dot is in "public". Throws ConfigError
// for an empty part.
std::pair<std::string, std::string> parse_table_name(const std::string& text);

// The --use-list text restoring only `tables` and `schemas` with what belongs to them.
// Throws OperationError naming a table or schema the backup does not hold.
std::string partial_restore_list(const std::string& verbose_toc,
                                 const std::vector<std::pair<std::string, std::string>>& tables,
                                 const std::vector<std::string>& schemas);

}  // namespace bb
