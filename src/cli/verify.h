// `backupbuddy verify`: the command line of ops/verify.h (options in, text or --json out).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "ops/verify.h"

namespace bb {

struct VerifyOptions {
  std::vector<std::string> databases;  // empty: every database with backups
  bool every_backup = false;           // --all: every backup, not only the newest
  bool restore_test = false;
  bool json = false;
};

int cmd_verify(const Config& config, const VerifyOptions& options);

}  // namespace bb
