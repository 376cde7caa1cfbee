// `backupbuddy status`: the command line of ops/status.h (options in, text or --json out).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "ops/status.h"

namespace bb {

int cmd_status(const Config& config, bool json);

}  // namespace bb
