// Cron schedules: syntax, errors, next/previous fire times in time zones and across DST.
#include "schedule/cron.h"

#include <date/tz.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <vector>

#include "catalog/keys.h"
#include "util/error.h"
#include "util/timezone.h"

namespace bb {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TimePoint utc(const std::string& iso) { return parse_user_time(iso, resolve_zone("UTC")); }

// The next `count` fire times after `after`, as ISO UTC strings.
std::vector<std::string> fires(const std::string& schedule, const std::string& after, int count,
                               const std::string& zone = "UTC") {
  const CronSchedule s = CronSchedule::parse(schedule);
  const auto* z = resolve_zone(zone);
  std::vector<std::string> out;
  TimePoint t = utc(after);
  for (int i = 0; i < count; ++i) {
    t = s.next_after(t, z);
    out.push_back(format_iso_utc(t));
  }
  return out;
}

std::string next(const std::string& schedule, const std::string& after, const std::string& zone = "UTC") {
  return fires(schedule, after, 1, zone)[0];
}

std::string previous(const std::string& schedule, const std::string& at, const std::string& zone = "UTC",
                     hours horizon = hours(24 * 366)) {
  const auto p = CronSchedule::parse(schedule).previous_at_or_before(utc(at), resolve_zone(zone), horizon);
  return p ? format_iso_utc(*p) : "none";
}

std::string parse_error(const std::string& schedule) {
  try {
    CronSchedule::parse(schedule);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(parsed)";
}

struct NextCase {
  std::string schedule;
  std::string after;
  std::vector<std::string> expected;
};

TEST(Cron, SyntaxForms) {
  const std::vector<NextCase> cases = {
      // 2026-01-01 is a Thursday.
      {"*/15 * * * *", "2026-01-01T00:07:00Z", {"2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z"}},
      {"0-30/10 * * * *", "2026-01-01T00:00:00Z", {"2026-01-01T00:10:00Z", "2026-01-01T00:20:00Z", "2026-01-01T00:30:00Z", "2026-01-01T01:00:00Z"}},
      {"1,15 * * * *", "2026-01-01T00:01:00Z", {"2026-01-01T00:15:00Z", "2026-01-01T01:01:00Z", "2026-01-01T01:15:00Z"}},
      {"5 1-3 * * *", "2026-01-01T02:30:00Z", {"2026-01-01T03:05:00Z", "2026-01-02T01:05:00Z", "2026-01-02T02:05:00Z"}},
      {"0 6,18 * * *", "2026-01-01T07:00:00Z", {"2026-01-01T18:00:00Z", "2026-01-02T06:00:00Z"}},
      {"0 0 10-12 * *", "2026-01-01T00:00:00Z", {"2026-01-10T00:00:00Z", "2026-01-11T00:00:00Z", "2026-01-12T00:00:00Z", "2026-02-10T00:00:00Z"}},
      {"0 0 1 */3 *", "2026-01-01T00:00:00Z", {"2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z", "2026-10-01T00:00:00Z", "2027-01-01T00:00:00Z"}},
      {"0 0 1 jan,Jul *", "2026-01-01T00:00:00Z", {"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"}},
      {"0 0 1 MAR-MAY *", "2026-01-01T00:00:00Z", {"2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z", "2027-03-01T00:00:00Z"}},
      {"0 12 * * mon-fri", "2026-01-02T12:00:00Z", {"2026-01-05T12:00:00Z", "2026-01-06T12:00:00Z"}},  // Fri -> Mon
      {"0 12 * * MON-FRI/2", "2026-01-01T00:00:00Z", {"2026-01-02T12:00:00Z", "2026-01-05T12:00:00Z", "2026-01-07T12:00:00Z"}},
      {"0 0 * * 0", "2026-01-01T00:00:00Z", {"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"}},
      {"0 0 * * 7", "2026-01-01T00:00:00Z", {"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"}},  // 7 is Sunday
      {"0 0 * * sun", "2026-01-01T00:00:00Z", {"2026-01-04T00:00:00Z"}},
      {"0 0 * * 5-7", "2026-01-01T00:00:00Z", {"2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-09T00:00:00Z"}},
      {"0 0 * * FRI-7", "2026-01-01T00:00:00Z", {"2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-09T00:00:00Z"}},
      {"  0  4 * *\tMON ", "2026-01-01T00:00:00Z", {"2026-01-05T04:00:00Z"}},
      {"* * * * *", "2026-01-01T00:00:30Z", {"2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"}},
      // Macros.
      {"@hourly", "2026-01-01T00:00:00Z", {"2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"}},
      {"@daily", "2026-01-01T00:00:00Z", {"2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"}},
      {"@midnight", "2026-01-01T12:00:00Z", {"2026-01-02T00:00:00Z"}},
      {"@DAILY", "2026-01-01T12:00:00Z", {"2026-01-02T00:00:00Z"}},
      {"@weekly", "2026-11-24T12:00:00Z", {"2026-11-29T00:00:00Z", "2026-12-06T00:00:00Z"}},  // Sundays
      {"@monthly", "2026-01-15T00:00:00Z", {"2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"}},
      {"@yearly", "2026-01-01T00:00:00Z", {"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"}},
      {"@annually", "2026-06-01T00:00:00Z", {"2027-01-01T00:00:00Z"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(fires(c.schedule, c.after, static_cast<int>(c.expected.size())), c.expected) << c.schedule;
  }
}

TEST(Cron, RolloverAndCalendar) {
  const std::vector<NextCase> cases = {
      {"0 * * * *", "2026-12-31T23:00:00Z", {"2027-01-01T00:00:00Z"}},
      {"59 23 31 12 *", "2026-12-31T23:59:00Z", {"2027-12-31T23:59:00Z"}},
      {"0 0 1 1 *", "2026-06-01T00:00:00Z", {"2027-01-01T00:00:00Z"}},
      {"0 0 31 * *", "2026-01-31T00:00:00Z", {"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z"}},
      {"0 0 30 * *", "2026-01-30T00:00:00Z", {"2026-03-30T00:00:00Z"}},  // February has no 30th
      {"0 0 29 2 *", "2026-03-01T00:00:00Z", {"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
      {"0 0 29 2 *", "2096-03-01T00:00:00Z", {"2104-02-29T00:00:00Z"}},  // 2100 is not a leap year
      {"0 0 29 * *", "2027-01-29T00:00:00Z", {"2027-03-29T00:00:00Z"}},
      {"0 0 29 * *", "2028-01-29T00:00:00Z", {"2028-02-29T00:00:00Z"}},
      // Strictly after, at any sub-minute precision.
      {"0 4 * * *", "2026-11-24T04:00:00Z", {"2026-11-25T04:00:00Z"}},
      {"0 4 * * *", "2026-11-24T03:59:59Z", {"2026-11-24T04:00:00Z"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(fires(c.schedule, c.after, static_cast<int>(c.expected.size())), c.expected)
        << c.schedule << " after " << c.after;
  }
  const CronSchedule s = CronSchedule::parse("0 4 * * *");
  EXPECT_EQ(format_iso_utc(s.next_after(utc("2026-11-24T04:00:00Z") - std::chrono::nanoseconds(1), nullptr)),
            "2026-11-24T04:00:00Z");
  EXPECT_EQ(format_iso_utc(s.next_after(utc("2026-11-24T04:00:00Z") + std::chrono::nanoseconds(1), nullptr)),
            "2026-11-25T04:00:00Z");
}

TEST(Cron, MondayOnlyFiresOnlyOnMondays) {
  const CronSchedule s = CronSchedule::parse("0 4 * * MON");
  const auto* moscow = resolve_zone("Europe/Moscow");
  TimePoint t = utc("2026-11-24T00:00:00Z");  // a Tuesday
  EXPECT_EQ(format_iso_utc(s.next_after(t, moscow)), "2026-11-30T01:00:00Z");
  for (int i = 0; i < 60; ++i) {
    const TimePoint fire = s.next_after(t, moscow);
    const auto local = moscow->to_local(fire);
    EXPECT_EQ(date::weekday{date::floor<date::days>(local)}, date::Monday) << format_iso_utc(fire);
    EXPECT_EQ(local - date::floor<date::days>(local), hours(4)) << format_iso_utc(fire);
    if (i > 0) {
      EXPECT_EQ(fire - t, hours(24 * 7)) << format_iso_utc(fire);
    }
    t = fire;
  }
}

TEST(Cron, DayOfMonthOrDayOfWeek) {
  // Both restricted: either matches. 2026-04-01 is a Wednesday; May 1st a Friday.
  EXPECT_EQ(fires("0 0 1 * MON", "2026-03-31T00:00:00Z", 7),
            (std::vector<std::string>{"2026-04-01T00:00:00Z", "2026-04-06T00:00:00Z", "2026-04-13T00:00:00Z",
                                      "2026-04-20T00:00:00Z", "2026-04-27T00:00:00Z", "2026-05-01T00:00:00Z",
                                      "2026-05-04T00:00:00Z"}));
  // One field "*": only the other restricts.
  EXPECT_EQ(fires("0 0 * * MON", "2026-03-31T00:00:00Z", 2),
            (std::vector<std::string>{"2026-04-06T00:00:00Z", "2026-04-13T00:00:00Z"}));
  EXPECT_EQ(fires("0 0 1 * *", "2026-03-31T00:00:00Z", 2),
            (std::vector<std::string>{"2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z"}));
  // crontab(5): a field that starts with "*" counts as "*", so "*/2" and MON must BOTH
  // match: Mondays on odd days only (April 2026 Mondays: 6, 13, 20, 27).
  EXPECT_EQ(fires("0 0 */2 * MON", "2026-04-01T00:00:00Z", 3),
            (std::vector<std::string>{"2026-04-13T00:00:00Z", "2026-04-27T00:00:00Z", "2026-05-11T00:00:00Z"}));
  // Feb 29 that is also a Sunday ("*/7" in day-of-week is Sunday and starts with "*").
  EXPECT_EQ(fires("0 0 29 2 */7", "2026-01-01T00:00:00Z", 2),
            (std::vector<std::string>{"2032-02-29T00:00:00Z", "2060-02-29T00:00:00Z"}));
  // With the OR rule a day that February lacks is fine: the Mondays of February fire.
  EXPECT_EQ(fires("0 0 31 2 MON", "2026-01-01T00:00:00Z", 2),
            (std::vector<std::string>{"2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z"}));
}

TEST(Cron, TimeZones) {
  EXPECT_EQ(next("0 4 * * *", "2026-11-24T00:00:00Z", "Europe/Moscow"), "2026-11-24T01:00:00Z");
  EXPECT_EQ(next("0 4 * * *", "2026-11-24T01:00:00Z", "Europe/Moscow"), "2026-11-25T01:00:00Z");
  EXPECT_EQ(next("0 0 * * *", "2026-11-24T00:00:00Z", "Asia/Kathmandu"), "2026-11-24T18:15:00Z");  // +05:45
  EXPECT_EQ(next("0 0 * * *", "2026-11-24T00:00:00Z", "America/St_Johns"), "2026-11-24T03:30:00Z");  // -03:30
  // The day boundary is the zone's: Monday 01:00 in Moscow is Sunday 22:00 UTC.
  EXPECT_EQ(next("0 1 * * MON", "2026-11-24T00:00:00Z", "Europe/Moscow"), "2026-11-29T22:00:00Z");
}

TEST(Cron, DstSpringForwardGapFiresOnceWhenTheGapEnds) {
  // Berlin 2026-03-29: 02:00 CET -> 03:00 CEST (01:00Z); 02:30 does not exist.
  EXPECT_EQ(fires("30 2 * * *", "2026-03-28T12:00:00Z", 3, "Europe/Berlin"),
            (std::vector<std::string>{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"}));
  // Every minute of the gap matches: still one fire, at 03:00 CEST.
  EXPECT_EQ(fires("*/15 2 * * *", "2026-03-28T23:00:00Z", 2, "Europe/Berlin"),
            (std::vector<std::string>{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"}));
  // A gap time and 03:00 itself: one fire.
  EXPECT_EQ(fires("0,30 2,3 * * *", "2026-03-29T00:00:00Z", 3, "Europe/Berlin"),
            (std::vector<std::string>{"2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z", "2026-03-30T00:00:00Z"}));
  // Frequent schedules run on without a hole: 01:30 CET, 03:00 CEST, 03:30 CEST.
  EXPECT_EQ(fires("*/30 * * * *", "2026-03-29T00:00:00Z", 4, "Europe/Berlin"),
            (std::vector<std::string>{"2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z",
                                      "2026-03-29T02:00:00Z"}));
  // Times outside the gap are not moved.
  EXPECT_EQ(next("0 3 * * *", "2026-03-28T12:00:00Z", "Europe/Berlin"), "2026-03-29T01:00:00Z");
  EXPECT_EQ(next("59 1 * * *", "2026-03-28T12:00:00Z", "Europe/Berlin"), "2026-03-29T00:59:00Z");
  // Asking from inside the fire instant's minute, or after it, does not fire it again.
  EXPECT_EQ(next("30 2 * * *", "2026-03-29T01:00:00Z", "Europe/Berlin"), "2026-03-30T00:30:00Z");
  // New York 2026-03-08: 02:00 EST -> 03:00 EDT (07:00Z).
  EXPECT_EQ(next("30 2 * * *", "2026-03-08T00:00:00Z", "America/New_York"), "2026-03-08T07:00:00Z");
  // Lord Howe 2026-10-04: a half-hour gap, 02:00 -> 02:30 (15:30Z).
  EXPECT_EQ(next("15 2 * * *", "2026-10-03T12:00:00Z", "Australia/Lord_Howe"), "2026-10-03T15:30:00Z");
  // Apia skipped 2011-12-30 entirely: its 04:00 fires once when the day ends (10:00Z).
  EXPECT_EQ(fires("0 4 * * *", "2011-12-29T00:00:00Z", 3, "Pacific/Apia"),
            (std::vector<std::string>{"2011-12-29T14:00:00Z", "2011-12-30T10:00:00Z", "2011-12-30T14:00:00Z"}));
}

TEST(Cron, DstFallBackFiresOnceAtTheFirstOccurrence) {
  // Berlin 2026-10-25: 03:00 CEST -> 02:00 CET (01:00Z); 02:00-02:59 happen twice.
  EXPECT_EQ(fires("30 2 * * *", "2026-10-24T12:00:00Z", 3, "Europe/Berlin"),
            (std::vector<std::string>{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", "2026-10-27T01:30:00Z"}));
  // Chosen rule for frequent schedules: each wall-clock time once; the repeated 02:00 and
  // 02:30 CET (01:00Z, 01:30Z) do not fire again.
  EXPECT_EQ(fires("*/30 * * * *", "2026-10-24T23:45:00Z", 4, "Europe/Berlin"),
            (std::vector<std::string>{"2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T02:00:00Z",
                                      "2026-10-25T02:30:00Z"}));
  // Asked from inside the repeated hour: the next new wall-clock time.
  EXPECT_EQ(next("*/30 * * * *", "2026-10-25T01:10:00Z", "Europe/Berlin"), "2026-10-25T02:00:00Z");
  EXPECT_EQ(next("30 2 * * *", "2026-10-25T01:10:00Z", "Europe/Berlin"), "2026-10-26T01:30:00Z");
  // New York 2026-11-01: 01:30 EDT (05:30Z) then 01:30 EST (06:30Z): the first.
  EXPECT_EQ(fires("30 1 * * *", "2026-11-01T00:00:00Z", 2, "America/New_York"),
            (std::vector<std::string>{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}));
  // Lord Howe 2026-04-05: 02:00 -> 01:30; 01:45 happens twice (14:45Z and 15:15Z).
  EXPECT_EQ(fires("45 1 * * *", "2026-04-04T12:00:00Z", 2, "Australia/Lord_Howe"),
            (std::vector<std::string>{"2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"}));
}

TEST(Cron, PreviousAtOrBefore) {
  EXPECT_EQ(previous("0 4 * * *", "2026-11-24T04:00:00Z"), "2026-11-24T04:00:00Z");  // at: inclusive
  EXPECT_EQ(previous("0 4 * * *", "2026-11-24T03:59:59Z"), "2026-11-23T04:00:00Z");
  EXPECT_EQ(previous("0 4 * * *", "2026-11-24T03:00:00Z", "UTC", hours(12)), "none");
  EXPECT_EQ(previous("0 4 * * *", "2026-11-24T03:00:00Z", "UTC", hours(23)), "2026-11-23T04:00:00Z");
  EXPECT_EQ(previous("0 4 * * *", "2026-11-24T12:00:00Z", "Europe/Moscow"), "2026-11-24T01:00:00Z");
  EXPECT_EQ(previous("0 4 * * MON", "2026-11-29T23:00:00Z"), "2026-11-23T04:00:00Z");
  EXPECT_EQ(previous("0 0 1 1 *", "2027-01-01T00:00:00Z"), "2027-01-01T00:00:00Z");
  EXPECT_EQ(previous("0 0 1 1 *", "2026-12-31T23:59:00Z"), "2026-01-01T00:00:00Z");
  EXPECT_EQ(previous("*/15 * * * *", "2027-01-01T00:14:59Z"), "2027-01-01T00:00:00Z");
  EXPECT_EQ(previous("0 0 29 2 *", "2026-06-01T00:00:00Z"), "none");  // 2024-02-29 is beyond 366 days
  EXPECT_EQ(previous("0 0 29 2 *", "2026-06-01T00:00:00Z", "UTC", hours(24 * 900)), "2024-02-29T00:00:00Z");
  EXPECT_EQ(previous("0 0 29 2 *", "2104-03-01T00:00:00Z", "UTC", hours(24 * 366 * 9)), "2104-02-29T00:00:00Z");
  EXPECT_EQ(previous("0 0 29 2 *", "2104-02-28T00:00:00Z", "UTC", hours(24 * 366 * 9)), "2096-02-29T00:00:00Z");
  EXPECT_EQ(previous("0 4 * * *", "2026-11-24T12:00:00Z", "UTC", hours(-1)), "none");
  // DST: the same instants next_after gives.
  EXPECT_EQ(previous("30 2 * * *", "2026-03-29T01:00:00Z", "Europe/Berlin"), "2026-03-29T01:00:00Z");
  EXPECT_EQ(previous("30 2 * * *", "2026-03-29T00:59:59Z", "Europe/Berlin"), "2026-03-28T01:30:00Z");
  EXPECT_EQ(previous("30 2 * * *", "2026-10-25T01:45:00Z", "Europe/Berlin"), "2026-10-25T00:30:00Z");
  // Inside the repeated hour (02:10 CET): 02:30 already fired, at its first occurrence.
  EXPECT_EQ(previous("30 2 * * *", "2026-10-25T01:10:00Z", "Europe/Berlin"), "2026-10-25T00:30:00Z");
  EXPECT_EQ(previous("*/30 * * * *", "2026-10-25T01:10:00Z", "Europe/Berlin"), "2026-10-25T00:30:00Z");
  EXPECT_EQ(previous("*/30 * * * *", "2026-10-25T01:59:59Z", "Europe/Berlin"), "2026-10-25T00:30:00Z");
  EXPECT_EQ(previous("*/30 * * * *", "2026-10-25T02:00:00Z", "Europe/Berlin"), "2026-10-25T02:00:00Z");
}

TEST(Cron, TextIsKept) {
  EXPECT_EQ(CronSchedule::parse("0 4 * * MON").text(), "0 4 * * MON");
  EXPECT_EQ(CronSchedule::parse("@weekly").text(), "@weekly");
}

TEST(Cron, ErrorsNameTheFieldAndTheAcceptedForms) {
  EXPECT_EQ(parse_error("0 4 * * MOM"), "schedule \"0 4 * * MOM\": day-of-week: unknown name MOM — use SUN..SAT or 0-7");
  EXPECT_EQ(parse_error("*/0 * * * *"), "schedule \"*/0 * * * *\": minute: step 0 in \"*/0\" — a step must be 1 or more");
  EXPECT_EQ(parse_error("0 4 * *"),
            "schedule \"0 4 * *\": 4 fields, expected 5: minute hour day-of-month month day-of-week "
            "(e.g. \"0 4 * * MON\"; seconds and years are not supported)");
  EXPECT_EQ(parse_error("0 0 30 2 *"),
            "schedule \"0 0 30 2 *\": never fires: day-of-month \"30\" does not exist in month \"2\" — "
            "pick a day the month has");

  struct ErrorCase {
    std::string schedule;
    std::string expected;  // a part of the message
  };
  const std::vector<ErrorCase> cases = {
      // Out of range, per field.
      {"60 * * * *", "minute: 60 is out of range — use 0-59"},
      {"0 24 * * *", "hour: 24 is out of range — use 0-23"},
      {"0 0 0 * *", "day-of-month: 0 is out of range — use 1-31"},
      {"0 0 32 * *", "day-of-month: 32 is out of range — use 1-31"},
      {"0 0 * 0 *", "month: 0 is out of range — use 1-12 or JAN..DEC"},
      {"0 0 * 13 *", "month: 13 is out of range — use 1-12 or JAN..DEC"},
      {"0 0 * * 8", "day-of-week: 8 is out of range — use 0-7 or SUN..SAT (0 and 7 are Sunday)"},
      {"0-60 * * * *", "minute: 60 is out of range"},
      {"99999999999 * * * *", "minute: 99999999999 is out of range"},
      // Steps.
      {"0 */0 * * *", "hour: step 0 in \"*/0\""},
      {"0 0 1-31/0 * *", "day-of-month: step 0 in \"1-31/0\""},
      {"0 0 * */0 *", "month: step 0"},
      {"0 0 * * */0", "day-of-week: step 0"},
      {"*/60 * * * *", "minute: step 60 in \"*/60\" is too large — use a step of 1-59"},
      {"*/x * * * *", "minute: step \"x\" in \"*/x\" is not a number"},
      {"*/ * * * *", "minute: step \"\" in \"*/\" is not a number"},
      {"5/15 * * * *", "minute: \"5/15\": a step needs a range — write 5-59/15 or */15"},
      // Reversed ranges.
      {"30-10 * * * *", "minute: range 30-10 is reversed — write the lower value first"},
      {"0 5-1 * * *", "hour: range 5-1 is reversed"},
      {"0 0 20-10 * *", "day-of-month: range 20-10 is reversed"},
      {"0 0 * DEC-JAN *", "month: range DEC-JAN is reversed"},
      {"0 0 * * FRI-MON", "day-of-week: range FRI-MON is reversed"},
      {"0 0 * * SAT-SUN", "day-of-week: range SAT-SUN is reversed — Sunday is also 7, so end the range with 7"},
      // Unknown names, names where numbers belong.
      {"0 0 * FOO *", "month: unknown name FOO — use JAN..DEC or 1-12"},
      {"0 0 * January *", "month: unknown name January — use JAN..DEC or 1-12"},
      {"0 0 * * Monday", "day-of-week: unknown name Monday — use SUN..SAT or 0-7"},
      {"0 noon * * *", "hour: \"noon\" is not a number — use 0-23"},
      {"0 0 MON * *", "day-of-month: \"MON\" is not a number — use 1-31"},
      {"JAN 0 * * *", "minute: \"JAN\" is not a number — use 0-59"},
      // Other syntax.
      {"0 0 L * *", "day-of-month: \"L\" is not a number"},
      {"0 0 ? * *", "day-of-month: \"?\" is not a value — write a value (5), a list (1,15), a range (1-5), a step (*/15, 0-30/10) or *"},
      {"0 0 * * 1#2", "day-of-week: \"1#2\" is not a value"},
      {"0 0 15W * *", "day-of-month: \"15W\" is not a value"},
      {"1,,2 * * * *", "minute: empty item in the list \"1,,2\""},
      {"1, * * * *", "minute: empty item in the list \"1,\""},
      {"-5 * * * *", "minute: a value is missing"},
      {"1- * * * *", "minute: a value is missing"},
      {"1-2-3 * * * *", "minute: \"2-3\" is not a value"},
      {"*-5 * * * *", "minute: \"*\" is not a value"},
      // Field count.
      {"", "schedule \"\": empty — write 5 fields"},
      {"   ", "empty — write 5 fields"},
      {"0", "1 field, expected 5"},
      {"0 0 4 * * *", "6 fields, expected 5"},
      {"0 0 4 * * * 2026", "7 fields, expected 5"},
      // Macros.
      {"@reboot", "unknown macro @reboot — use @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually"},
      {"@every 1h", "unknown macro @every"},
      {"@daily 0", "a macro stands alone — write just @daily"},
      // Never fires.
      {"0 0 31 4 *", "never fires: day-of-month \"31\" does not exist in month \"4\""},
      {"0 0 31 4,6,9,11 *", "never fires"},
      {"0 0 30,31 2 *", "never fires"},
      {"0 0 30 FEB *", "never fires"},
      {"0 0 31 2 */2", "never fires"},  // "*/2" starts with "*": both fields must match
  };
  for (const auto& c : cases) {
    const std::string message = parse_error(c.schedule);
    EXPECT_NE(message.find(c.expected), std::string::npos) << c.schedule << " -> " << message;
    EXPECT_EQ(message.rfind("schedule \"" + c.schedule + "\": ", 0), 0U) << message;
  }
}

TEST(Cron, SchedulesThatCanFireAreAccepted) {
  for (const char* text : {"0 0 29 2 *", "0 0 31 1-2 *", "0 0 30 2 MON", "0 0 31 * *", "0 0 1-31/30 2 *",
                           "59 23 31 12 7", "0 0 * * 0-7", "*/1 */1 */1 */1 */1", "0 0 29 2 */7"}) {
    EXPECT_NO_THROW(CronSchedule::parse(text)) << text;
  }
}

TEST(Cron, SearchJumpsFieldsRatherThanMinutes) {
  // 200 yearly fires and a Feb-29-on-Sunday search: fast even in a Debug build.
  const auto started = std::chrono::steady_clock::now();
  const CronSchedule yearly = CronSchedule::parse("59 23 31 12 *");
  const auto* berlin = resolve_zone("Europe/Berlin");
  TimePoint t = utc("2026-01-01T00:00:00Z");
  for (int i = 0; i < 200; ++i) t = yearly.next_after(t, berlin);
  EXPECT_EQ(format_iso_utc(t), "2225-12-31T22:59:00Z");
  const CronSchedule rare = CronSchedule::parse("0 0 29 2 */7");
  EXPECT_EQ(format_iso_utc(rare.next_after(utc("2089-01-01T00:00:00Z"), nullptr)), "2128-02-29T00:00:00Z");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
}

// An independent statement of the fire rule, checked minute by minute in UTC: an instant
// fires when its wall-clock time matches and this is that wall-clock time's first
// occurrence, or when a gap ends that held a matching wall-clock time.
struct ReferenceCase {
  std::string schedule;
  std::function<bool(int minute, int hour, int day, int month, int weekday)> matches;
};

std::vector<TimePoint> reference_fires(const ReferenceCase& c, const date::time_zone* zone, TimePoint from,
                                       TimePoint to) {
  auto matches = [&](date::local_time<minutes> wall) {
    const auto day = date::floor<date::days>(wall);
    const date::year_month_day ymd{day};
    const date::hh_mm_ss<minutes> hms{wall - day};
    return c.matches(static_cast<int>(hms.minutes().count()), static_cast<int>(hms.hours().count()),
                     static_cast<int>(static_cast<unsigned>(ymd.day())),
                     static_cast<int>(static_cast<unsigned>(ymd.month())),
                     static_cast<int>(date::weekday{day}.c_encoding()));
  };
  std::vector<TimePoint> out;
  for (auto t = date::floor<minutes>(from); t <= to; t += minutes(1)) {
    const date::sys_info info = zone->get_info(t);
    const auto wall = date::local_time<minutes>{date::floor<minutes>(t + info.offset).time_since_epoch()};
    const date::local_info local = zone->get_info(date::local_seconds{wall});
    const bool first_occurrence =
        local.result != date::local_info::ambiguous || info.offset == local.first.offset;
    bool fires = matches(wall) && first_occurrence;
    if (!fires && info.begin == t) {
      const date::sys_info before = zone->get_info(t - seconds(1));
      for (auto gap = wall - (info.offset - before.offset); gap < wall && !fires; gap += minutes(1)) {
        fires = matches(date::floor<minutes>(gap));
      }
    }
    if (fires) out.push_back(t);
  }
  return out;
}

TEST(Cron, AgreesWithAMinuteByMinuteReferenceAroundTransitions) {
  const std::vector<ReferenceCase> schedules = {
      {"*/30 * * * *", [](int m, int, int, int, int) { return m % 30 == 0; }},
      {"30 2 * * *", [](int m, int h, int, int, int) { return m == 30 && h == 2; }},
      {"0 0 * * *", [](int m, int h, int, int, int) { return m == 0 && h == 0; }},
      {"15,45 1-3 * * *", [](int m, int h, int, int, int) { return (m == 15 || m == 45) && h >= 1 && h <= 3; }},
      {"* 2 * * *", [](int, int h, int, int, int) { return h == 2; }},
      {"0 */2 * * *", [](int m, int h, int, int, int) { return m == 0 && h % 2 == 0; }},
      {"10 0-4 1 * SUN", [](int m, int h, int d, int, int w) { return m == 10 && h <= 4 && (d == 1 || w == 0); }},
      {"59 23 * * *", [](int m, int h, int, int, int) { return m == 59 && h == 23; }},
  };
  struct Window {
    const char* zone;
    const char* from;
    const char* to;
  };
  const std::vector<Window> windows = {
      {"Europe/Berlin", "2026-03-28T00:00:00Z", "2026-03-30T12:00:00Z"},
      {"Europe/Berlin", "2026-10-24T00:00:00Z", "2026-10-26T12:00:00Z"},
      {"America/New_York", "2026-03-07T00:00:00Z", "2026-03-09T12:00:00Z"},
      {"America/New_York", "2026-10-31T00:00:00Z", "2026-11-02T12:00:00Z"},
      {"Australia/Lord_Howe", "2026-04-04T00:00:00Z", "2026-04-06T00:00:00Z"},
      {"Australia/Lord_Howe", "2026-10-03T00:00:00Z", "2026-10-05T00:00:00Z"},
      {"America/Sao_Paulo", "2018-11-03T00:00:00Z", "2018-11-05T12:00:00Z"},  // gap at midnight
      {"America/Sao_Paulo", "2019-02-16T00:00:00Z", "2019-02-18T12:00:00Z"},  // 23:00-23:59 twice
      {"Pacific/Apia", "2011-12-28T00:00:00Z", "2011-12-31T12:00:00Z"},       // a whole day skipped
      {"Europe/Moscow", "2026-11-23T00:00:00Z", "2026-12-02T00:00:00Z"},
  };
  for (const auto& w : windows) {
    const auto* zone = resolve_zone(w.zone);
    const TimePoint from = utc(w.from);
    const TimePoint to = utc(w.to);
    for (const auto& c : schedules) {
      const CronSchedule s = CronSchedule::parse(c.schedule);
      const std::vector<TimePoint> expected = reference_fires(c, zone, from, to);
      const std::string where = c.schedule + " in " + w.zone + " from " + w.from;
      ASSERT_FALSE(expected.empty()) << where;

      // The sequence of next_after from the window's start is exactly the reference.
      std::vector<TimePoint> got;
      for (TimePoint t = s.next_after(from - seconds(1), zone); t <= to; t = s.next_after(t, zone)) {
        got.push_back(t);
      }
      ASSERT_EQ(got.size(), expected.size()) << where;
      for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(format_iso_utc(got[i]), format_iso_utc(expected[i])) << where;
      }

      // From any instant, next and previous agree with the reference.
      for (TimePoint t = from; t <= to; t += seconds(7 * 60 + 13)) {
        auto after = std::upper_bound(expected.begin(), expected.end(), t);
        if (after != expected.end()) {
          EXPECT_EQ(format_iso_utc(s.next_after(t, zone)), format_iso_utc(*after)) << where << " at " << format_iso_utc(t);
        }
        if (after != expected.begin()) {
          const auto p = s.previous_at_or_before(t, zone);
          ASSERT_TRUE(p.has_value()) << where;
          EXPECT_EQ(format_iso_utc(*p), format_iso_utc(*(after - 1))) << where << " at " << format_iso_utc(t);
        }
      }
      // previous_at_or_before is inclusive at each fire instant.
      for (const TimePoint fire : expected) {
        const auto p = s.previous_at_or_before(fire, zone);
        ASSERT_TRUE(p.has_value()) << where;
        EXPECT_EQ(*p, fire) << where;
      }
    }
  }
}

}  // namespace
}  // namespace bb
