// `backupbuddy prune`: the command line of ops/prune.h (options in, text or --json out).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "ops/prune.h"

namespace bb {

struct PruneOptions {
  std::vector<std::string> databases;  // empty: every database that has backups
  bool dry_run = false;
  bool json = false;
};

int cmd_prune(const Config& config, const PruneOptions& options);

}  // namespace bb
