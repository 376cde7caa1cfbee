// Tests for ops/schedule, serve's pure planning: which databases share a schedule, which
// missed runs are caught up at start (or on SIGUSR1) — in the configured time zone, across
// DST — and the next scheduled run the dashboard shows.
#include "ops/schedule.h"

#include <date/tz.h>
#include <gtest/gtest.h>

#include <map>

#include "catalog/keys.h"

namespace bb {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TimePoint at(const std::string& id) { return *parse_backup_id(id); }

DatabaseConfig db(const std::string& name, std::optional<std::string> schedule = std::nullopt) {
  DatabaseConfig d;
  d.name = name;
  d.schedule = std::move(schedule);
  return d;
}

std::map<std::string, ScheduleEntry> by_schedule(const Config& c) {
  std::map<std::string, ScheduleEntry> out;
  for (auto& e : schedule_entries(c)) out.emplace(e.schedule.text(), e);
  return out;
}

TEST(ServeSchedule, DatabasesWithoutOwnScheduleShareTheDefault) {
  Config c;
  c.backup.schedule = "0 4 * * *";
  c.databases = {db("buh"), db("zup", "0 4 * * MON"), db("crm")};
  auto entries = by_schedule(c);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries.at("0 4 * * *").databases, (std::vector<std::string>{"buh", "crm"}));
  EXPECT_EQ(entries.at("0 4 * * MON").databases, (std::vector<std::string>{"zup"}));
  EXPECT_FALSE(entries.at("0 4 * * *").all_others);
}

TEST(ServeSchedule, AllDatabasesAddsTheOthersToTheDefaultSchedule) {
  Config c;
  c.backup.schedule = "30 2 * * *";
  c.backup.all_databases = true;
  c.databases = {db("zup", "0 4 * * MON")};
  auto entries = by_schedule(c);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(entries.at("30 2 * * *").all_others);
  EXPECT_TRUE(entries.at("30 2 * * *").databases.empty());
  EXPECT_FALSE(entries.at("0 4 * * MON").all_others);
}

TEST(ServeSchedule, SameScheduleTextIsOneEntry) {
  Config c;
  c.backup.schedule = "0 4 * * *";
  c.databases = {db("a", "0 1 * * *"), db("b", "0 1 * * *")};
  auto entries = schedule_entries(c);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].databases, (std::vector<std::string>{"a", "b"}));
}

TEST(ServeSchedule, NothingConfiguredSchedulesNothing) {
  EXPECT_TRUE(schedule_entries(Config{}).empty());
}

struct CatchUpCase {
  const char* name;
  const char* now;       // backup-id notation, UTC
  const char* last_run;  // ISO UTC, "" = never, anything else unreadable (= never)
  long catch_up_hours;
  bool due;
};

class ServeCatchUp : public ::testing::TestWithParam<CatchUpCase> {};

TEST_P(ServeCatchUp, DueOnlyWhenTheLastScheduledTimeWasMissedRecently) {
  const auto& c = GetParam();
  const auto* moscow = date::locate_zone("Europe/Moscow");  // UTC+3, no DST
  CronSchedule daily_4am = CronSchedule::parse("0 4 * * *");  // 01:00 UTC
  auto due = due_for_catch_up({"buh"}, daily_4am, at(c.now), moscow, hours(c.catch_up_hours),
                              [&](const std::string&) { return parse_iso_utc(c.last_run); });
  EXPECT_EQ(!due.empty(), c.due);
}

INSTANTIATE_TEST_SUITE_P(
    Serve, ServeCatchUp,
    ::testing::Values(
        CatchUpCase{"missed_two_hours_ago", "20261201T030000Z", "2026-11-30T01:00:05Z", 6, true},
        CatchUpCase{"never_ran", "20261201T030000Z", "", 6, true},
        CatchUpCase{"ran_after_the_time", "20261201T030000Z", "2026-12-01T01:00:02Z", 6, false},
        CatchUpCase{"missed_too_long_ago", "20261201T080000Z", "2026-11-30T01:00:05Z", 6, false},
        CatchUpCase{"exactly_at_the_window_edge", "20261201T070000Z", "2026-11-30T01:00:05Z", 6, true},
        CatchUpCase{"catch_up_zero_only_at_the_minute", "20261201T010000Z", "2026-11-30T01:00:05Z", 0, true},
        CatchUpCase{"catch_up_zero_a_minute_late", "20261201T010100Z", "2026-11-30T01:00:05Z", 0, false},
        CatchUpCase{"unreadable_last_run_counts_as_never", "20261201T030000Z", "yesterday-ish", 6, true}),
    [](const ::testing::TestParamInfo<CatchUpCase>& info) { return info.param.name; });

TEST(ServeCatchUp, OnlyTheDatabasesThatMissedTheRun) {
  const auto* utc = date::locate_zone("UTC");
  CronSchedule s = CronSchedule::parse("0 4 * * *");
  std::map<std::string, std::string> last{{"buh", "2026-12-01T04:00:03Z"}, {"zup", "2026-11-30T04:00:03Z"}};
  auto due = due_for_catch_up({"buh", "zup", "new"}, s, at("20261201T050000Z"), utc, hours(6),
                              [&](const std::string& d) { return last.count(d) ? parse_iso_utc(last[d]) : std::nullopt; });
  EXPECT_EQ(due, (std::vector<std::string>{"zup", "new"}));
}

TEST(ServeCatchUp, WeeklyScheduleLooksBackToItsDay) {
  const auto* utc = date::locate_zone("UTC");
  CronSchedule mondays = CronSchedule::parse("0 4 * * MON");  // 2026-11-30 is a Monday
  auto never = [](const std::string&) { return std::optional<TimePoint>(); };
  EXPECT_EQ(due_for_catch_up({"zup"}, mondays, at("20261130T080000Z"), utc, hours(6), never).size(), 1u);
  EXPECT_TRUE(due_for_catch_up({"zup"}, mondays, at("20261201T050000Z"), utc, hours(6), never).empty());
}

TEST(ServeCatchUp, AcrossTheSpringDstGap) {
  // Berlin, 2026-03-29: 02:00 local does not exist; a 02:30 schedule fires at 03:00 CEST
  // (01:00 UTC) by the cron rules, so a service started at 02:00 UTC catches it up.
  const auto* berlin = date::locate_zone("Europe/Berlin");
  CronSchedule s = CronSchedule::parse("30 2 * * *");
  auto fired = s.previous_at_or_before(at("20260329T020000Z"), berlin);
  ASSERT_TRUE(fired.has_value());
  auto due = due_for_catch_up({"buh"}, s, at("20260329T020000Z"), berlin, hours(6),
                              [](const std::string&) { return parse_iso_utc("2026-03-28T01:30:04Z"); });
  EXPECT_EQ(due.size(), 1u);
  EXPECT_LE(at("20260329T020000Z") - *fired, hours(6));
}

TEST(NextScheduledRun, OwnScheduleElseTheDefaultInTheZone) {
  Config c;
  c.backup.schedule = "0 4 * * *";
  c.databases = {db("buh"), db("zup", "0 4 * * MON")};
  const auto* moscow = date::locate_zone("Europe/Moscow");
  auto entries = schedule_entries(c);
  TimePoint now = at("20261201T120000Z");  // a Tuesday, 15:00 in Moscow
  EXPECT_EQ(next_scheduled_run(entries, c, "buh", now, moscow), at("20261202T010000Z"));
  EXPECT_EQ(next_scheduled_run(entries, c, "zup", now, moscow), at("20261207T010000Z"));
  EXPECT_EQ(next_scheduled_run(entries, c, "other", now, moscow), std::nullopt) << "not configured, no all_databases";
}

TEST(NextScheduledRun, AllDatabasesCoversOthersButNotExcluded) {
  Config c;
  c.backup.schedule = "30 2 * * *";
  c.backup.all_databases = true;
  c.backup.exclude = {"scratch"};
  c.databases = {db("zup", "0 4 * * MON")};
  const auto* utc = date::locate_zone("UTC");
  auto entries = schedule_entries(c);
  TimePoint now = at("20261201T120000Z");
  EXPECT_EQ(next_scheduled_run(entries, c, "crm", now, utc), at("20261202T023000Z"));
  EXPECT_EQ(next_scheduled_run(entries, c, "zup", now, utc), at("20261207T040000Z"));
  EXPECT_EQ(next_scheduled_run(entries, c, "scratch", now, utc), std::nullopt);
}

}  // namespace
}  // namespace bb
