// Databases BackupBuddy creates: marks, listing, dropping.
#include "pg/archives.h"

#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "pg/session.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"

namespace bb {
namespace {

constexpr const char* kArchivePrefix = "backupbuddy-archive ";
constexpr const char* kTempPrefix = "backupbuddy-restoring ";
constexpr const char* kVerifyPrefix = "backupbuddy-verifying ";
}  // namespace

std::string archive_comment(const ArchiveMarker& marker) {
  nlohmann::ordered_json j{{"source", marker.source}, {"backup", marker.backup_id}, {"restored_at", marker.restored_at}};
  return kArchivePrefix + j.dump();
}

std::optional<ArchiveMarker> parse_archive_comment(const std::string& comment) {
  std::string prefix = kArchivePrefix;
  if (comment.rfind(prefix, 0) != 0) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(comment.substr(prefix.size()));
    return ArchiveMarker{j.at("source").get<std::string>(), j.at("backup").get<std::string>(),
                         j.value("restored_at", "")};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

ExistingDatabase inspect_database(PgSession& s, const std::string& name) {
  auto rows = s.query("select coalesce(shobj_description(oid, 'pg_database'), '') from pg_database where datname = $1",
                      {name});
  ExistingDatabase e;
  if (rows.empty()) return e;
  e.exists = true;
  e.marker = parse_archive_comment(rows[0][0].value_or(""));
  return e;
}

void mark_restoring_database(PgSession& session, const std::string& name, const std::string& source,
                             const std::string& backup_id, const std::string& target) {
  nlohmann::ordered_json info{{"source", source}, {"backup", backup_id}, {"target", target}, {"pid", getpid()}};
  session.exec("comment on database " + session.quote_ident(name) + " is " +
               session.quote_literal(kTempPrefix + info.dump()));
}

void mark_archive_database(PgSession& session, const std::string& name, const ArchiveMarker& marker) {
  session.exec("comment on database " + session.quote_ident(name) + " is " +
               session.quote_literal(archive_comment(marker)));
}

void mark_restore_test_database(PgSession& session, const std::string& name, const std::string& source,
                                const std::string& backup_id) {
  nlohmann::ordered_json info{{"source", source}, {"backup", backup_id}, {"pid", getpid()}};
  session.exec("comment on database " + session.quote_ident(name) + " is " +
               session.quote_literal(kVerifyPrefix + info.dump()));
}

std::vector<std::string> drop_abandoned_restores(PgSession& session) {
  std::vector<std::string> dropped;
  auto rows = session.query(
      "select datname, shobj_description(oid, 'pg_database') from pg_database "
      "where shobj_description(oid, 'pg_database') like 'backupbuddy-restoring %' "
      "or shobj_description(oid, 'pg_database') like 'backupbuddy-verifying %'");
  for (const auto& row : rows) {
    std::string name = row[0].value_or("");
    std::string comment = row[1].value_or("");
    // A restore locks its target's name; a restore test locks the scratch database's own.
    bool verifying = comment.rfind(kVerifyPrefix, 0) == 0;
    std::string locked;
    std::string left_by;
    try {
      auto info = nlohmann::json::parse(comment.substr(std::string(verifying ? kVerifyPrefix : kTempPrefix).size()));
      if (verifying) {
        locked = name;
        left_by = "a restore test of " + quote_name(info.at("source").get<std::string>());
      } else {
        locked = info.at("target").get<std::string>();
        left_by = "a restore into " + quote_name(locked);
      }
    } catch (const std::exception&) {
      continue;  // not ours after all: never touched
    }
    std::int64_t key = advisory_key_for(locked);
    if (!session.try_advisory_lock(key)) continue;  // that restore (test) is still running
    try {
      session.exec("drop database if exists " + session.quote_ident(name) + " with (force)");
      log::info("dropped " + quote_name(name) + ", left by " + left_by + " that did not finish");
      dropped.push_back(name);
    } catch (const std::exception& e) {
      log::warn("could not drop the abandoned temporary database " + quote_name(name) + ": " + e.what());
    }
    session.advisory_unlock(key);
  }
  return dropped;
}

std::vector<ArchiveDatabase> list_archive_databases(PgSession& session) {
  auto rows = session.query(
      "select datname, coalesce(shobj_description(oid, 'pg_database'), ''), pg_database_size(oid)::text "
      "from pg_database where not datistemplate and shobj_description(oid, 'pg_database') like 'backupbuddy-archive %' "
      "order by datname");
  std::vector<ArchiveDatabase> out;
  for (const auto& row : rows) {
    auto marker = parse_archive_comment(row[1].value_or(""));
    if (!marker) continue;
    out.push_back({row[0].value_or(""), *marker, std::stoull(row[2].value_or("0"))});
  }
  return out;
}

void drop_archive_database(PgSession& session, const std::string& name) {
  // A restore into this name holds its advisory lock: never drop under a running restore.
  DatabaseLock lock(session, name, "drop the archive");
  ExistingDatabase existing = inspect_database(session, name);
  if (!existing.exists)
    throw OperationError("there is no database " + quote_name(name) + " on " + session.where(), Remedy::kSeeArchives);
  if (!existing.marker)
    throw OperationError("refusing to drop " + quote_name(name) +
                         ": it was not created by BackupBuddy (no archive marker in its comment) — drop it yourself "
                         "if you are sure");
  session.exec("drop database " + session.quote_ident(name) + " with (force)");
  log::info("dropped archive database " + quote_name(name));
}

std::vector<std::string> keep_newest_archives(PgSession& session, const std::string& source, int keep,
                                              const std::string& except) {
  std::vector<std::pair<std::string, std::string>> mine;  // (restored_at, name)
  for (auto& a : list_archive_databases(session))
    if (a.marker.source == source) mine.push_back({a.marker.restored_at, a.name});
  std::sort(mine.rbegin(), mine.rend());
  std::vector<std::string> dropped;
  for (std::size_t i = static_cast<std::size_t>(std::max(keep, 0)); i < mine.size(); ++i) {
    if (mine[i].second == except) continue;
    session.exec("drop database " + session.quote_ident(mine[i].second) + " with (force)");
    log::info("dropped old archive " + quote_name(mine[i].second) + " (keep_archives = " + std::to_string(keep) + ")");
    dropped.push_back(mine[i].second);
  }
  return dropped;
}

}  // namespace bb
