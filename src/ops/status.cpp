// `status` as data.
#include "ops/status.h"

namespace bb {

StatusReport read_status(const Config& config) {
  log_config_warnings(config);
  StatusReport r;
  r.state_dir = state_directory(config.backup.state_dir);
  r.databases = StateStore(r.state_dir).load();
  return r;
}

}  // namespace bb
