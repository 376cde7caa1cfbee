// `backupbuddy backup`: the command line of ops/backup.h (options in, text or --json out).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "ops/backup.h"

namespace bb {

struct BackupOptions {
  std::vector<std::string> databases;
  bool all = false;
  bool no_prune = false;  // skip retention after the backups
  bool json = false;
};

// The command: lock, back up, print the summary, send the report. Returns the exit code.
int cmd_backup(const Config& config, const BackupOptions& options);

}  // namespace bb
