// PgSession: one libpq connection, with quoting, queries, advisory locks and the
// database-level operations restore needs. The password goes through libpq's
// parameters, never a command line.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

struct pg_conn;

namespace bb {

using Row = std::vector<std::optional<std::string>>;

class PgSession {
 public:
  // Connects to `dbname` with the [postgres] settings (libpq defaults for unset keys).
  // Throws PgError naming host, port, user and the fix.
  static PgSession connect(const PostgresConfig& cfg, const std::string& dbname);
  PgSession(PgSession&&) noexcept;
  PgSession& operator=(PgSession&&) noexcept;
  ~PgSession();

  // Runs a statement with $1..$n text parameters; returns the rows. Throws PgError.
  std::vector<Row> query(const std::string& sql, const std::vector<std::string>& params = {});
  // One value of the first row, or nullopt when no row / NULL.
  std::optional<std::string> scalar(const std::string& sql, const std::vector<std::string>& params = {});
  // Runs a statement without result (DDL).
  void exec(const std::string& sql);

  // "name" with every " doubled (PQescapeIdentifier).
  std::string quote_ident(const std::string& name) const;
  // 'text' safely quoted (PQescapeLiteral).
  std::string quote_literal(const std::string& text) const;

  // Server version number (150018) and text ("15.18").
  int server_version_num() const;
  std::string server_version() const;
  // "host:port" as connected, for messages.
  std::string where() const;

  // Session advisory lock; false when another session holds it.
  bool try_advisory_lock(std::int64_t key);
  void advisory_unlock(std::int64_t key);
  // Describes who holds an advisory lock ("pid 1234, application backupbuddy, since …").
  std::string advisory_lock_holder(std::int64_t key);

 private:
  explicit PgSession(pg_conn* conn, std::string where);
  pg_conn* conn_ = nullptr;
  std::string where_;
};

// The advisory-lock key for work on a database (dump or restore into it).
std::int64_t advisory_key_for(const std::string& database);

// Holds an advisory lock for a database while alive (RAII). Waits up to 5 s for a lock
// another session holds (a killed run's session lingers a moment), then throws
// OperationError naming the holder.
class DatabaseLock {
 public:
  DatabaseLock(PgSession& session, const std::string& database, const std::string& purpose);
  ~DatabaseLock();
  DatabaseLock(const DatabaseLock&) = delete;
  DatabaseLock& operator=(const DatabaseLock&) = delete;

 private:
  PgSession& session_;
  std::int64_t key_;
};

}  // namespace bb
