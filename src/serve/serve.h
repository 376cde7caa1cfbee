// `backupbuddy serve`: the scheduler (and, when configured, the Telegram bot and the web
// console, sharing one job queue) in one long-running process for one systemd unit.
// Databases due at the same minute form one backup run; a missed run younger than [backup] catch_up is caught up at start; SIGUSR1
// runs what is due now (the same catch-up rule); SIGHUP reloads the config (a bad new one
// is reported and the old one kept); SIGTERM/SIGINT stop cleanly (upload aborted, no
// manifest, temporary databases dropped, locks released) and exit 0.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "schedule/cron.h"

namespace bb {

// One schedule and the databases it covers.
struct ScheduleEntry {
  CronSchedule schedule;
  std::vector<std::string> databases;  // configured databases on this schedule
  bool all_others = false;             // [backup] all_databases: also every other database
};

// Groups the configured databases by schedule: each [[databases]] schedule, else
// [backup] schedule. Pure.
std::vector<ScheduleEntry> schedule_entries(const Config& config);

// Databases whose latest scheduled time (at or before now, within [backup] catch_up) has
// no backup run recorded after it. last_run: the time of a database's last run, or
// nullopt (never). Pure.
std::vector<std::string> due_for_catch_up(const std::vector<std::string>& databases, const CronSchedule& schedule,
                                          TimePoint now, const date::time_zone* zone,
                                          std::chrono::seconds catch_up,
                                          const std::function<std::optional<TimePoint>(const std::string&)>& last_run);

int cmd_serve(const std::function<Config()>& reload, Config initial);

}  // namespace bb
