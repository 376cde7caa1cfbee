// Retention policy (grandfather-father-son, as restic's `forget --keep-*`): which of one
// database's backups to keep, and by which rules. Pure: no I/O, no clock.
#pragma once

#include <string>
#include <vector>

#include "catalog/inventory.h"
#include "config/config.h"

namespace date {
class time_zone;
}

namespace bb {

// How many periods of each kind keep their newest backup; 0 disables that rule.
struct RetentionPolicy {
  int daily = 4, weekly = 4, monthly = 4, yearly = 999;
};

// The policy of effective config counts; kinds left unset take the defaults above.
RetentionPolicy policy_from(const RetentionCounts& counts);

// The verdict on one backup. reasons: the rules that keep it, a subset of "daily",
// "weekly", "monthly", "yearly", "newest", "just made" in that order, or "untrusted"
// alone; empty when it is dropped.
struct RetentionDecision {
  const BackupEntry* backup = nullptr;
  bool keep = false;
  std::vector<std::string> reasons;
};

// One decision per backup, newest first.
struct RetentionPlan {
  std::vector<RetentionDecision> decisions;
  // The backups to keep, newest first.
  std::vector<const BackupEntry*> keep() const;
  // The backups to delete, newest first.
  std::vector<const BackupEntry*> drop() const;
};

// Plans one database's retention. newest_first: its backups, newest first (as Inventory
// gives them; re-sorted stably by time if they are not). Periods (calendar day, ISO week,
// calendar month, calendar year) are taken in `zone` (nullptr: UTC); a legacy backup's
// period is the date written in its key. Each rule keeps the newest backup of each of its
// N most recent periods that have a backup; the newest trusted backup is always kept.
// Untrusted backups (BackupEntry::distrust set) are kept with the reason "untrusted" and
// fill no slot, so they never displace a trusted one. keep_ids: backups that must stay
// whatever the rules say (the one a run has just made: "just made"). The plan points into
// newest_first, which must outlive it.
RetentionPlan plan_retention(const std::vector<BackupEntry>& newest_first, const RetentionPolicy& policy,
                             const date::time_zone* zone, const std::vector<std::string>& keep_ids = {});

// Reasons for display: "daily, monthly"; "" when there are none.
std::string describe_reasons(const std::vector<std::string>& reasons);

}  // namespace bb
