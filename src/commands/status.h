// `backupbuddy status`: the state file as a table — the last backup run and the last
// verification of every database (`--json` for monitoring).
#pragma once

#include "config/config.h"

namespace bb {

int cmd_status(const Config& config, bool json);

}  // namespace bb
