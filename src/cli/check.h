// `backupbuddy check`: the command line of ops/check.h (options in, text or --json out).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "ops/check.h"

namespace bb {

// notify_test: send a test message on every notification channel (check --notify).
int cmd_check(const Config& config, bool json, bool notify_test = false);

}  // namespace bb
