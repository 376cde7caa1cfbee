// `backupbuddy archives`: the command line of ops/archives.h (options in, text or --json out).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "ops/archives.h"

namespace bb {

struct ArchivesOptions {
  std::optional<std::string> drop;
  bool all = false;  // also archives of databases this config does not back up
  bool json = false;
};

// The command. Returns the exit code.
int cmd_archives(const Config& config, const ArchivesOptions& options);

}  // namespace bb
