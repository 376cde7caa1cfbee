// `check`: everything a backup needs, as a checklist: the config, PostgreSQL (version,
// role, each configured database), pg_dump, every storage operation a backup and a prune
// use (probed on keys no backup can have, removed again even when a step fails), the
// state directory; front ends add their channels' checks (Telegram) and render the list.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "util/error.h"

namespace bb {

// One line of the checklist.
struct CheckItem {
  bool ok = false;
  std::string text;      // "<what>: <result or reason>"
  bool warning = false;  // works, but needs attention ([warn]; does not fail the check)
  Remedy remedy = Remedy::kNone;  // of the error that failed it; each front end words it
};

// A check a front end adds: its name and a function returning what works (or throwing).
using NamedCheck = std::pair<std::string, std::function<std::string()>>;

// Runs one check; a thrown error becomes a failed item with its (secret-masked) message.
CheckItem run_check(const std::string& name, const std::function<std::string()>& check);

// Runs the checklist; on_item sees each line as soon as it is known (for live output).
// `more` run after the storage probe.
std::vector<CheckItem> run_checks(const Config& config, const std::function<void(const CheckItem&)>& on_item = {},
                                  const std::vector<NamedCheck>& more = {});

}  // namespace bb
