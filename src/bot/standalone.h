// `backupbuddy bot`: runs the Telegram restore bot until SIGTERM/SIGINT.
#pragma once

#include "config/config.h"

namespace bb {

// Checks [telegram] (token, admins), asks Telegram who the bot is (fails fast on a bad
// token or an unreachable api_url), then serves until stopped. Returns the exit code.
int cmd_bot(const Config& config);

}  // namespace bb
