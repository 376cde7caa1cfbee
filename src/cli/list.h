// `backupbuddy list`: the command line of ops/list.h (options in, text or --json out).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "ops/list.h"

namespace bb {

struct ListOptions {
  std::optional<std::string> database;
  bool json = false;
};

int cmd_list(const Config& config, const ListOptions& options);

}  // namespace bb
