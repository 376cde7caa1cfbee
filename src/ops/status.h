// `status`: the last backup run and the last verification of every database, from the
// state file (front ends render it; `status --json` is for monitoring).
#pragma once

#include <map>
#include <string>

#include "config/config.h"
#include "state/state.h"

namespace bb {

struct StatusReport {
  std::string state_dir;
  std::map<std::string, DatabaseState> databases;  // by name
};

// Reads the state file (and logs the config's warnings, e.g. secrets others can read).
StatusReport read_status(const Config& config);

}  // namespace bb
