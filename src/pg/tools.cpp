// Locating pg_dump/pg_restore and preparing their environment.
#include "pg/tools.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "util/error.h"
#include "util/process.h"

namespace bb {
namespace {

bool executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

std::string version_of(const std::string& program) {
  ProcessResult r = run_process({program, {"--version"}});
  std::string v = r.stdout_text;
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  return v;
}

int major_of(const std::string& version_text) {
  // "pg_dump (PostgreSQL) 15.18 (Debian ...)" -> 15
  auto pos = version_text.find(") ");
  if (pos == std::string::npos) return 0;
  try {
    return std::stoi(version_text.substr(pos + 2));
  } catch (...) {
    return 0;
  }
}

}  // namespace

PgTools find_pg_tools(const PostgresConfig& cfg, int server_major) {
  std::vector<std::string> candidates;
  if (cfg.bin_dir) {
    candidates.push_back(*cfg.bin_dir);
  } else {
    candidates.push_back("/usr/lib/postgresql/" + std::to_string(server_major) + "/bin");
    std::error_code ec;
    std::vector<int> majors;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
      try {
        int m = std::stoi(entry.path().filename().string());
        if (m > server_major) majors.push_back(m);
      } catch (...) {
      }
    }
    std::sort(majors.begin(), majors.end());
    for (int m : majors) candidates.push_back("/usr/lib/postgresql/" + std::to_string(m) + "/bin");
  }
  for (const auto& dir : candidates) {
    PgTools t{dir, dir + "/pg_dump", dir + "/pg_restore", ""};
    if (!executable(t.pg_dump) || !executable(t.pg_restore)) continue;
    t.pg_dump_version = version_of(t.pg_dump);
    int major = major_of(t.pg_dump_version);
    if (major != 0 && major < server_major) {
      if (cfg.bin_dir)
        throw OperationError("postgres.bin_dir " + dir + " holds " + t.pg_dump_version + ", older than the server (" +
                             std::to_string(server_major) + ") — pg_dump must be at least the server's version; "
                             "point bin_dir at /usr/lib/postgresql/" + std::to_string(server_major) + "/bin");
      continue;
    }
    return t;
  }
  if (cfg.bin_dir)
    throw OperationError("pg_dump/pg_restore not found in postgres.bin_dir " + *cfg.bin_dir +
                         " — check the path (it should contain pg_dump and pg_restore)");
  throw OperationError("pg_dump for PostgreSQL " + std::to_string(server_major) + " not found in /usr/lib/postgresql/" +
                       std::to_string(server_major) + "/bin — install postgresql-client-" +
                       std::to_string(server_major) + " or set postgres.bin_dir");
}

std::map<std::string, std::string> pg_child_env(const PostgresConfig& cfg, const std::string& dbname) {
  std::map<std::string, std::string> env;
  if (cfg.host) env["PGHOST"] = *cfg.host;
  if (cfg.port) env["PGPORT"] = std::to_string(*cfg.port);
  if (cfg.user) env["PGUSER"] = *cfg.user;
  if (!cfg.password.empty()) env["PGPASSWORD"] = cfg.password.value;
  env["PGDATABASE"] = dbname;
  env["PGAPPNAME"] = "backupbuddy";
  env["PGCONNECT_TIMEOUT"] = "15";
  return env;
}

ProcessSpec pg_restore_into(const PgTools& tools, const PostgresConfig& cfg, const std::string& dbname,
                            const std::vector<std::string>& extra_args) {
  ProcessSpec spec;
  spec.program = tools.pg_restore;
  spec.args = {"--format=custom", "--exit-on-error", "--no-password", "--dbname=" + dbname};
  spec.args.insert(spec.args.end(), extra_args.begin(), extra_args.end());
  spec.env_set = pg_child_env(cfg, dbname);
  return spec;
}

ProcessSpec pg_restore_list(const PgTools& tools) { return {tools.pg_restore, {"--list", "--format=custom"}}; }

ProcessSpec pg_restore_to_sql(const PgTools& tools) { return {tools.pg_restore, {"--format=custom", "--file=-"}}; }

}  // namespace bb
