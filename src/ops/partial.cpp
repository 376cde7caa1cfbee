// Part of a database: choosing the entries of a table of contents.
#include "ops/partial.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "util/error.h"
#include "util/format.h"

namespace bb {
namespace {

// Entry types of more than one word, longest first (pg_dump's te->desc values).
const char* const kMultiWordTypes[] = {
    "PUBLICATION TABLES IN SCHEMA", "TEXT SEARCH CONFIGURATION", "TEXT SEARCH DICTIONARY", "TEXT SEARCH TEMPLATE",
    "MATERIALIZED VIEW DATA", "FOREIGN DATA WRAPPER", "TEXT SEARCH PARSER", "PROCEDURAL LANGUAGE",
    "SEQUENCE OWNED BY", "MATERIALIZED VIEW", "PUBLICATION TABLE", "CHECK CONSTRAINT", "OPERATOR FAMILY",
    "OPERATOR CLASS", "ACCESS METHOD", "BLOB METADATA", "EVENT TRIGGER", "FK CONSTRAINT", "FOREIGN TABLE",
    "FOREIGN SERVER", "LARGE OBJECT", "ROW SECURITY", "SEQUENCE SET", "USER MAPPING", "INDEX ATTACH",
    "DEFAULT ACL", "SHELL TYPE", "TABLE DATA"};

// Entries that belong to a table and come with it.
const std::set<std::string> kBelongToTable = {
    "TABLE DATA", "INDEX",  "CONSTRAINT", "CHECK CONSTRAINT", "FK CONSTRAINT", "TRIGGER",      "DEFAULT",
    "SEQUENCE OWNED BY", "SEQUENCE SET", "COMMENT", "ACL",   "POLICY",           "ROW SECURITY", "RULE",
    "STATISTICS", "INDEX ATTACH"};

}  // namespace

std::vector<TocEntry> parse_toc(const std::string& toc) {
  std::vector<TocEntry> out;
  std::istringstream in(toc);
  std::string line;
  while (std::getline(in, line)) {
    const std::string deps = ";\tdepends on:";
    if (line.rfind(deps, 0) == 0) {
      if (out.empty()) continue;
      std::istringstream ids(line.substr(deps.size()));
      int id;
      while (ids >> id) out.back().depends_on.push_back(id);
      continue;
    }
    if (line.empty() || line[0] == ';') continue;
    // "<id>; <tableoid> <oid> <TYPE> <schema> <name> <owner>"
    TocEntry e;
    std::size_t semi = line.find("; ");
    if (semi == std::string::npos) continue;
    try {
      e.id = std::stoi(line.substr(0, semi));
    } catch (const std::exception&) {
      continue;
    }
    std::size_t pos = semi + 2;
    for (int field = 0; field < 2; ++field) {  // the two oids
      pos = line.find(' ', pos);
      if (pos == std::string::npos) break;
      ++pos;
    }
    if (pos == std::string::npos || pos >= line.size()) continue;
    std::string rest = line.substr(pos);
    for (const char* t : kMultiWordTypes)
      if (rest.rfind(std::string(t) + " ", 0) == 0) {
        e.type = t;
        break;
      }
    if (e.type.empty()) e.type = rest.substr(0, rest.find(' '));
    rest = rest.size() > e.type.size() ? rest.substr(e.type.size() + 1) : "";
    std::size_t first = rest.find(' ');
    std::size_t last = rest.rfind(' ');
    if (first == std::string::npos) continue;
    e.schema = rest.substr(0, first);
    e.name = last > first ? rest.substr(first + 1, last - first - 1) : rest.substr(first + 1);
    e.line = line;
    out.push_back(std::move(e));
  }
  return out;
}

std::pair<std::string, std::string> parse_table_name(const std::string& text) {
  std::size_t dot = text.find('.');
  std::pair<std::string, std::string> out =
      dot == std::string::npos ? std::make_pair(std::string("public"), text)
                               : std::make_pair(text.substr(0, dot), text.substr(dot + 1));
  if (out.first.empty() || out.second.empty())
    throw ConfigError("--table " + quote_name(text) + ": give the table as SCHEMA.NAME (e.g. public.orders)");
  return out;
}

std::string partial_restore_list(const std::string& toc,
                                 const std::vector<std::pair<std::string, std::string>>& tables,
                                 const std::vector<std::string>& schemas) {
  std::vector<TocEntry> entries = parse_toc(toc);
  std::map<int, const TocEntry*> by_id;
  for (const auto& e : entries) by_id[e.id] = &e;
  // Bound to a table: a table, or anything that depends on one (in list order, so a
  // dependency is judged before what depends on it; a second pass settles the rest).
  std::set<int> table_bound;
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& e : entries) {
      bool bound = e.type == "TABLE" || e.type == "TABLE DATA" || e.type == "FOREIGN TABLE" ||
                   e.type == "MATERIALIZED VIEW" || e.type == "VIEW";
      for (int d : e.depends_on) bound = bound || table_bound.count(d);
      if (bound) table_bound.insert(e.id);
    }
  std::set<int> chosen;
  for (const auto& want : tables) {
    auto it = std::find_if(entries.begin(), entries.end(), [&](const TocEntry& e) {
      return e.type == "TABLE" && e.schema == want.first && e.name == want.second;
    });
    if (it == entries.end())
      throw OperationError("the backup has no table " + quote_name(want.first) + "." + quote_name(want.second));
    chosen.insert(it->id);
  }
  for (const auto& schema : schemas) {
    bool found = false;
    for (const auto& e : entries)
      // Its objects; what belongs to its tables follows them below (not a foreign key to
      // a table outside it).
      if ((e.schema == schema && !kBelongToTable.count(e.type)) || (e.type == "SCHEMA" && e.name == schema)) {
        chosen.insert(e.id);
        found = true;
      }
    if (!found) throw OperationError("the backup has no schema " + quote_name(schema));
  }
  for (bool changed = true; changed;) {
    changed = false;
    // What the chosen entries need and that belongs to no other table: schemas, types,
    // functions, sequences.
    std::vector<int> todo(chosen.begin(), chosen.end());
    while (!todo.empty()) {
      int id = todo.back();
      todo.pop_back();
      auto it = by_id.find(id);
      if (it == by_id.end()) continue;
      for (int d : it->second->depends_on)
        if (!table_bound.count(d) && by_id.count(d) && chosen.insert(d).second) {
          todo.push_back(d);
          changed = true;
        }
    }
    // What belongs to the chosen tables: every dependency bound to a table is chosen.
    for (const auto& e : entries) {
      if (chosen.count(e.id) || !kBelongToTable.count(e.type) || e.depends_on.empty()) continue;
      bool any = false, all_bound_chosen = true;
      for (int d : e.depends_on) {
        if (chosen.count(d)) any = true;
        else if (table_bound.count(d)) all_bound_chosen = false;
      }
      if (any && all_bound_chosen) {
        chosen.insert(e.id);
        changed = true;
      }
    }
  }
  std::string list;
  for (const auto& e : entries)
    if (chosen.count(e.id)) list += e.line + "\n";
  return list;
}

}  // namespace bb
