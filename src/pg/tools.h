// PostgreSQL client programs (pg_dump, pg_restore): finding the binaries that match the
// server's major version, and the environment that connects them (secrets via env, never argv).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "util/process.h"

namespace bb {

struct PgTools {
  std::string bin_dir;
  std::string pg_dump;
  std::string pg_restore;
  std::string pg_dump_version;  // "pg_dump (PostgreSQL) 15.18"
};

// Finds pg_dump/pg_restore for a server of `server_major` (e.g. 15): postgres.bin_dir if
// set, else /usr/lib/postgresql/<major>/bin, else the newest /usr/lib/postgresql/N/bin
// with N >= major. Throws OperationError naming what to install.
PgTools find_pg_tools(const PostgresConfig& cfg, int server_major);

// pg_restore reading a custom-format archive on stdin into database `dbname` (stopping at
// the first error; extra_args e.g. --no-owner). Connects through pg_child_env.
ProcessSpec pg_restore_into(const PgTools& tools, const PostgresConfig& cfg, const std::string& dbname,
                            const std::vector<std::string>& extra_args = {});
// pg_restore printing the archive's table of contents (reads only as much as it needs).
ProcessSpec pg_restore_list(const PgTools& tools);
// pg_restore turning the archive on stdin into SQL on stdout (reads the whole archive).
ProcessSpec pg_restore_to_sql(const PgTools& tools);

// Environment for a client program connecting to `dbname` (PGHOST, PGPORT, PGUSER,
// PGPASSWORD, PGDATABASE, PGAPPNAME, PGCONNECT_TIMEOUT).
std::map<std::string, std::string> pg_child_env(const PostgresConfig& cfg, const std::string& dbname);

}  // namespace bb
