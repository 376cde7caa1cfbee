// `backupbuddy web`: runs the web console alone until SIGTERM/SIGINT.
#pragma once

#include "config/config.h"

namespace bb {

// Checks [web], serves until stopped. Returns the exit code.
int cmd_web(const Config& config);

}  // namespace bb
