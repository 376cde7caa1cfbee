// `backupbuddy restore`: the command line of ops/restore.h (options in, text or --json out).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "ops/restore.h"

namespace bb {

struct RestoreOptions {
  RestoreRequest request;
  bool json = false;
};

// The command; prints the new database's name as the last line. Returns the exit code.
int cmd_restore(const Config& config, const RestoreOptions& options);

}  // namespace bb
