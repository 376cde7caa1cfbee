// Cron schedules: the 5-field crontab(5) syntax of `[backup] schedule`, and when such a
// schedule fires, evaluated in wall-clock time of a time zone. Pure logic, no I/O, no clock.
//
// Syntax (as Debian's cron, crontab(5)): minute hour day-of-month month day-of-week, each
// a list of "*", values, ranges "1-5" and steps "*/15" "0-30/10"; names JAN..DEC and SUN..SAT
// (case-insensitive; 0 and 7 are Sunday); macros @hourly @daily @midnight @weekly @monthly
// @yearly @annually. When day-of-month and day-of-week both do not start with "*", a day
// matches if EITHER matches; otherwise both must (crontab(5): "*/2" counts as "*").
//
// Time zones and DST. The fire times are the wall-clock times that match, each mapped to
// exactly one instant, so a wall-clock time never fires twice and none is skipped:
//  - a time that does not exist (spring-forward gap) fires once, at the instant the gap ends
//    (Berlin 2026-03-29: "30 2 * * *" fires at 03:00 CEST = 01:00Z); several matching times in
//    one gap, and a match at the gap's end, are one fire;
//  - a time that exists twice (fall-back) fires once, at its first occurrence
//    (Berlin 2026-10-25: "30 2 * * *" fires at 02:30 CEST = 00:30Z, not at 02:30 CET).
// This one rule holds for every schedule, including frequent ones: "*/30 * * * *" fires at
// 02:00 and 02:30 CEST and then at 03:00 CET; the repeated 02:00 and 02:30 CET do not fire,
// so that hour of real time has no fire. (Vixie cron instead re-runs "wildcard" jobs in the
// repeated hour; we chose one rule that never runs a wall-clock time twice.)
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "util/timezone.h"

namespace bb {

// A parsed cron schedule; immutable, cheap to copy.
class CronSchedule {
 public:
  // Parses a 5-field schedule or a macro; throws ConfigError naming the field and the
  // accepted forms, also for a schedule that can never fire ("0 0 30 2 *").
  static CronSchedule parse(const std::string& text);

  // The first fire time strictly after `after`, in wall-clock time of `zone` (UTC if null),
  // with the DST rules of this file's header.
  TimePoint next_after(TimePoint after, const date::time_zone* zone) const;

  // The most recent fire time at or before `at` (to catch up a missed run); nullopt when
  // there is none in [at - horizon, at].
  std::optional<TimePoint> previous_at_or_before(TimePoint at, const date::time_zone* zone,
                                                 std::chrono::hours horizon = std::chrono::hours(24 * 366)) const;

  // The schedule as written in the config.
  const std::string& text() const { return text_; }

 private:
  friend struct CronSearch;  // the day/hour/minute search, in cron.cpp
  CronSchedule() = default;

  std::string text_;
  std::uint64_t minutes_ = 0;   // bit m: minute m (0-59)
  std::uint32_t hours_ = 0;     // bit h: hour h (0-23)
  std::uint32_t days_ = 0;      // bit d: day of month d (1-31)
  std::uint32_t months_ = 0;    // bit m: month m (1-12)
  std::uint32_t weekdays_ = 0;  // bit w: weekday w (0 = Sunday .. 6; 7 is folded into 0)
  bool day_star_ = false;       // day-of-month starts with "*"
  bool weekday_star_ = false;   // day-of-week starts with "*"
};

}  // namespace bb
