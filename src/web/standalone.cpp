// `backupbuddy web`.
#include "web/standalone.h"

#include "util/error.h"
#include "web/console.h"

namespace bb {

int cmd_web(const Config& config) {
  if (!config.web.enabled())
    throw ConfigError(
        "web: no [web] listen in " + (config.source.empty() ? std::string("the configuration") : config.source) +
        " — add [web] listen = \"127.0.0.1:8650\" and a [[web.users]] entry (README, \"Web console\")");
  web::serve_console(config);
  return kExitOk;
}

}  // namespace bb
