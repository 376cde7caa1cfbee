// The backup schedules of `serve`, as data: which databases share a cron schedule
// ([[databases]] schedule, else [backup] schedule, in [backup] timezone), which missed runs
// are due for catch-up, and when a database's next scheduled run is. Pure: the scheduler in
// serve/ and the web console's dashboard both read them.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "schedule/cron.h"
#include "util/time.h"

namespace date {
class time_zone;
}

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

// The next time after `now` that `serve` backs up a database: its own schedule, else
// [backup] schedule when it is configured or covered by all_databases (and not excluded);
// nullopt when no schedule covers it. Pure.
std::optional<TimePoint> next_scheduled_run(const std::vector<ScheduleEntry>& entries, const Config& config,
                                            const std::string& database, TimePoint now,
                                            const date::time_zone* zone);

}  // namespace bb
