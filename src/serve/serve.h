// `backupbuddy serve`: the scheduler (and, when configured, the Telegram bot and the web
// console, sharing one job queue) in one long-running process for one systemd unit.
// Databases due at the same minute form one backup run; a missed run younger than [backup] catch_up is caught up at start; SIGUSR1
// runs what is due now (the same catch-up rule); SIGHUP reloads the config (a bad new one
// is reported and the old one kept); SIGTERM/SIGINT stop cleanly (upload aborted, no
// manifest, temporary databases dropped, locks released) and exit 0.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "ops/schedule.h"

namespace bb {

int cmd_serve(const std::function<Config()>& reload, Config initial);

}  // namespace bb
