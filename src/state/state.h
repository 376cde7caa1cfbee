// StateStore: what happened last, per database (last backup run and last verification),
// kept in <state_dir>/state.json so `list`, the bot's /status, reports and a restarted
// `serve` know it. Written atomically (temp file, fsync, rename) under an flock, so two
// processes updating it never lose each other's entries.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "util/time.h"

namespace bb {

struct DatabaseState {
  // Last backup run of this database.
  std::optional<TimePoint> backup_at;    // nullopt: never
  bool backup_ok = false;
  std::string backup_id;      // of the last successful backup
  std::string backup_error;   // plain reason when it failed
  std::uint64_t dump_bytes = 0;
  std::uint64_t stored_bytes = 0;
  double backup_seconds = 0;
  // Last verification.
  std::optional<TimePoint> verified_at;  // nullopt: never
  bool verify_ok = false;
  std::string verified_id;
  bool restore_tested = false;
  std::string verify_error;
};

// The state directory: [backup] state_dir, else /var/lib/backupbuddy as root, else
// $XDG_STATE_HOME/backupbuddy or ~/.local/state/backupbuddy. Created if missing.
std::string state_directory(const std::string& configured);

class StateStore {
 public:
  explicit StateStore(std::string state_dir);
  // Every database's state; empty when there is no state file yet. A damaged file is
  // reported (warning) and treated as empty: state is a convenience, never a blocker.
  std::map<std::string, DatabaseState> load() const;
  // Read-modify-write of one database's entry, atomically.
  void update(const std::string& database, const std::function<void(DatabaseState&)>& change);

 private:
  std::string path_;
};

}  // namespace bb
