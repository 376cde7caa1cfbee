// PgSession over libpq.
#include "pg/session.h"

#include <libpq-fe.h>
#include <openssl/evp.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <thread>

#include "util/error.h"
#include "util/log.h"
#include "util/format.h"
#include "util/signals.h"

namespace bb {
namespace {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

PgSession PgSession::connect(const PostgresConfig& cfg, const std::string& dbname) {
  // libpq reads the values during PQconnectdbParams: every string must outlive that call,
  // so they are copied into `owned` (a deque never moves its elements).
  std::vector<const char*> keys, values;
  std::deque<std::string> owned;
  auto add = [&](const char* k, const std::string& v) {
    keys.push_back(k);
    values.push_back(owned.emplace_back(v).c_str());
  };
  std::string port = cfg.port ? std::to_string(*cfg.port) : "";
  if (cfg.host) add("host", *cfg.host);
  if (cfg.port) add("port", port);
  if (cfg.user) add("user", *cfg.user);
  if (!cfg.password.empty()) add("password", cfg.password.value);
  add("dbname", dbname);
  add("application_name", "backupbuddy");
  add("connect_timeout", "15");
  keys.push_back(nullptr);
  values.push_back(nullptr);
  // expand_dbname = 0: a database name containing '=' is a name, not a connection string.
  pg_conn* conn = PQconnectdbParams(keys.data(), values.data(), 0);
  std::string where = std::string(PQhost(conn) ? PQhost(conn) : "?") + ":" + (PQport(conn) ? PQport(conn) : "?");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = trim(PQerrorMessage(conn));
    std::string user = PQuser(conn) ? PQuser(conn) : "?";
    PQfinish(conn);
    std::string fix = "check [postgres] host, port, user and password, and that the server is running";
    if (msg.find("does not exist") != std::string::npos && msg.find("database") != std::string::npos)
      fix = "check the database name";
    throw PgError("PostgreSQL: cannot connect to database " + quote_name(dbname) + " at " + where + " as user \"" + user +
                  "\": " + log::mask_secrets(msg) + " — " + fix);
  }
  return PgSession(conn, where);
}

PgSession::PgSession(pg_conn* conn, std::string where) : conn_(conn), where_(std::move(where)) {}
PgSession::PgSession(PgSession&& o) noexcept : conn_(o.conn_), where_(std::move(o.where_)) { o.conn_ = nullptr; }
PgSession& PgSession::operator=(PgSession&& o) noexcept {
  if (this != &o) {
    if (conn_) PQfinish(conn_);
    conn_ = o.conn_;
    where_ = std::move(o.where_);
    o.conn_ = nullptr;
  }
  return *this;
}
PgSession::~PgSession() {
  if (conn_) PQfinish(conn_);
}

std::vector<Row> PgSession::query(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  Result r(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
  ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
    throw PgError("PostgreSQL at " + where_ + ": " + trim(PQresultErrorMessage(r.get())));
  std::vector<Row> rows;
  int n = PQntuples(r.get()), f = PQnfields(r.get());
  for (int i = 0; i < n; ++i) {
    Row row;
    for (int c = 0; c < f; ++c) {
      if (PQgetisnull(r.get(), i, c)) row.emplace_back(std::nullopt);
      else row.emplace_back(std::string(PQgetvalue(r.get(), i, c), PQgetlength(r.get(), i, c)));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::optional<std::string> PgSession::scalar(const std::string& sql, const std::vector<std::string>& params) {
  auto rows = query(sql, params);
  if (rows.empty() || rows[0].empty()) return std::nullopt;
  return rows[0][0];
}

void PgSession::exec(const std::string& sql) {
  Result r(PQexec(conn_, sql.c_str()));
  ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    throw PgError("PostgreSQL at " + where_ + ": " + trim(PQresultErrorMessage(r.get())));
}

std::string PgSession::quote_ident(const std::string& name) const {
  char* q = PQescapeIdentifier(conn_, name.c_str(), name.size());
  if (!q) throw PgError("cannot quote identifier: " + trim(PQerrorMessage(conn_)));
  std::string out(q);
  PQfreemem(q);
  return out;
}

std::string PgSession::quote_literal(const std::string& text) const {
  char* q = PQescapeLiteral(conn_, text.c_str(), text.size());
  if (!q) throw PgError("cannot quote literal: " + trim(PQerrorMessage(conn_)));
  std::string out(q);
  PQfreemem(q);
  return out;
}

int PgSession::server_version_num() const { return PQserverVersion(conn_); }

std::string PgSession::server_version() const {
  const char* v = PQparameterStatus(conn_, "server_version");
  std::string s = v ? v : "";
  auto space = s.find(' ');  // "15.18 (Debian 15.18-0+deb12u1)"
  return space == std::string::npos ? s : s.substr(0, space);
}

std::string PgSession::where() const { return where_; }

bool PgSession::try_advisory_lock(std::int64_t key) {
  return scalar("select pg_try_advisory_lock($1::bigint)", {std::to_string(key)}) == std::optional<std::string>("t");
}

void PgSession::advisory_unlock(std::int64_t key) {
  query("select pg_advisory_unlock($1::bigint)", {std::to_string(key)});
}

std::string PgSession::advisory_lock_holder(std::int64_t key) {
  auto rows = query(
      "select l.pid::text, coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local'), "
      "coalesce(to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS'), '') "
      "from pg_locks l left join pg_stat_activity a on a.pid = l.pid "
      "where l.locktype = 'advisory' and l.granted and "
      "((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint limit 1",
      {std::to_string(key)});
  if (rows.empty()) return "another session";
  return "server process " + rows[0][0].value_or("?") + " (" + rows[0][1].value_or("") + " from " +
         rows[0][2].value_or("") + ", connected " + rows[0][3].value_or("") + ")";
}

std::int64_t advisory_key_for(const std::string& database) {
  // First 8 bytes of SHA-256("backupbuddy:" + name): stable across machines and versions.
  std::string text = "backupbuddy:" + database;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | digest[i];
  std::int64_t key;
  std::memcpy(&key, &v, sizeof key);
  return key;
}

namespace {
// How long a database lock held by another session is waited for before "busy".
constexpr auto kLockGrace = std::chrono::seconds(5);
}  // namespace

DatabaseLock::DatabaseLock(PgSession& session, const std::string& database, const std::string& purpose)
    : session_(session), key_(advisory_key_for(database)) {
  // A run killed a moment ago keeps its server session (and so this lock) until the server
  // notices the closed connection: a short wait spares whoever retries at once a false "busy".
  auto deadline = std::chrono::steady_clock::now() + kLockGrace;
  while (!session_.try_advisory_lock(key_)) {
    if (std::chrono::steady_clock::now() < deadline && !cancel_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    throw OperationError("database " + quote_name(database) + " is busy: another BackupBuddy run holds its lock (" +
                         session_.advisory_lock_holder(key_) + ") — wait for it to finish, then " + purpose + " again");
  }
}

DatabaseLock::~DatabaseLock() {
  try {
    session_.advisory_unlock(key_);
  } catch (...) {
    // The lock is session-scoped: it goes with the connection anyway.
  }
}

}  // namespace bb
