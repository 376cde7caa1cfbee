// RunContext: what one run of an operation shares, made once and only when first needed —
// the config, the store, a session on the maintenance database, and the PostgreSQL client
// programs of the server's major version. Every op takes one; a front end makes one per
// command (the CLI), per job (the bot) or per scheduled run (serve).
#pragma once

#include <memory>
#include <optional>

#include "config/config.h"
#include "pg/session.h"
#include "pg/tools.h"
#include "storage/storage.h"

namespace bb {

class RunContext {
 public:
  // Makes the store and the session from the config when they are first used.
  explicit RunContext(const Config& config);
  // Uses `storage` (owned by the caller, e.g. a test's in-memory store) as the store.
  RunContext(const Config& config, Storage& storage);

  const Config& config() const { return config_; }
  // The store of [storage]. Throws ConfigError / StorageError.
  Storage& storage();
  // A session on [postgres] maintenance_db. Throws PgError naming the server and the fix.
  PgSession& session();
  // pg_dump / pg_restore matched to the server's major version. Throws OperationError.
  const PgTools& tools();
  // A new session on the maintenance database (a parallel worker's own).
  PgSession connect_maintenance() const;

 private:
  const Config& config_;
  std::unique_ptr<Storage> owned_storage_;
  Storage* storage_ = nullptr;
  std::optional<PgSession> session_;
  std::optional<PgTools> tools_;
};

}  // namespace bb
