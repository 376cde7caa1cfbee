// One run's shared parts, made on first use.
#include "ops/context.h"

namespace bb {

RunContext::RunContext(const Config& config) : config_(config) {}

RunContext::RunContext(const Config& config, Storage& storage) : config_(config), storage_(&storage) {}

Storage& RunContext::storage() {
  if (!storage_) {
    owned_storage_ = make_storage(config_.storage);
    storage_ = owned_storage_.get();
  }
  return *storage_;
}

PgSession& RunContext::session() {
  if (!session_) session_.emplace(connect_maintenance());
  return *session_;
}

const PgTools& RunContext::tools() {
  if (!tools_) tools_ = find_pg_tools(config_.postgres, session().server_version_num() / 10000);
  return *tools_;
}

PgSession RunContext::connect_maintenance() const {
  return PgSession::connect(config_.postgres, config_.postgres.maintenance_db);
}

}  // namespace bb
