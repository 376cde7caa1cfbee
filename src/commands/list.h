// `backupbuddy list`: what is stored — per database (count, newest, size), or one
// database's backups. `--json` output is a documented, stable contract (docs/json.md).
#pragma once

#include <optional>
#include <string>

#include "config/config.h"

namespace bb {

struct ListOptions {
  std::optional<std::string> database;
  bool json = false;
};

int cmd_list(const Config& config, const ListOptions& options);

}  // namespace bb
