// `backupbuddy export`: the command line of ops/export.h.
#pragma once

#include "config/config.h"
#include "ops/export.h"

namespace bb {

// The command; with -o FILE prints FILE as the last line. Returns the exit code.
int cmd_export(const Config& config, const ExportRequest& request);

}  // namespace bb
