// Tests for catalog/retention: exact kept sets over generated histories (gaps, several
// backups a day, month/year boundaries, ISO week 53, DST, zone boundaries, legacy
// backups), the safety rule that the newest backup is always kept, and a randomized
// cross-check against a set-based restatement of the policy.
#include "catalog/retention.h"

#include <date/date.h>
#include <date/tz.h>
#include <gtest/gtest.h>

#include <cstdio>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "catalog/keys.h"

namespace bb {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

// "2025-03-30 22:30" (UTC) -> time point.
TimePoint utc(const std::string& text) {
  int y, mo, d, h, mi;
  if (std::sscanf(text.c_str(), "%d-%d-%d %d:%d", &y, &mo, &d, &h, &mi) != 5)
    throw std::invalid_argument("bad test time: " + text);
  return date::sys_days(date::year{y} / mo / d) + std::chrono::hours(h) + minutes(mi);
}

// A new-layout backup of database "db" started at `text` (UTC).
BackupEntry new_backup(const std::string& text) {
  BackupEntry e;
  e.db = "db";
  e.time = utc(text);
  e.id = format_backup_id(e.time);
  e.data_key = data_key(e.db, e.id, false);
  e.manifest_key = manifest_key(e.db, e.id);
  return e;
}

// A backup of the old Python tool, "2025_01_13": its time is midnight UTC of that date.
BackupEntry legacy_backup(const std::string& date_id) {
  BackupEntry e;
  e.db = "db";
  e.id = date_id;
  std::string text = date_id;
  std::replace(text.begin(), text.end(), '_', '-');
  e.time = utc(text + " 00:00");
  e.legacy = true;
  e.data_key = "db-" + date_id + "-DAILY.dump";
  return e;
}

// Test notation: "2025-01-14 04:00" is a new backup (UTC), "L2025_01_13" a legacy one.
BackupEntry from_label(const std::string& label) {
  return label.rfind('L', 0) == 0 ? legacy_backup(label.substr(1)) : new_backup(label);
}

std::string label_of(const BackupEntry& e) {
  return e.legacy ? "L" + e.id : date::format("%Y-%m-%d %H:%M", date::floor<minutes>(e.time));
}

// Backups in any order -> sorted newest first, as Inventory gives them.
std::vector<BackupEntry> history(const std::vector<std::string>& labels) {
  std::vector<BackupEntry> out;
  for (const auto& l : labels) out.push_back(from_label(l));
  std::stable_sort(out.begin(), out.end(), [](const BackupEntry& a, const BackupEntry& b) {
    if (a.time != b.time) return a.time > b.time;
    return a.legacy < b.legacy;
  });
  return out;
}

// One backup a day at `time_of_day` from `first` to `last` (inclusive, "YYYY-MM-DD"),
// leaving out the days `skip` says.
std::vector<std::string> daily_series(const std::string& first, const std::string& last,
                                      const std::string& time_of_day = "04:00",
                                      bool (*skip)(date::year_month_day) = nullptr) {
  std::vector<std::string> out;
  const auto from = date::floor<date::days>(utc(first + " 00:00"));
  const auto to = date::floor<date::days>(utc(last + " 00:00"));
  for (auto d = from; d <= to; d += date::days{1}) {
    const date::year_month_day ymd{d};
    if (skip != nullptr && skip(ymd)) continue;
    out.push_back(date::format("%F", d) + " " + time_of_day);
  }
  return out;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::set<std::string> labels(const std::vector<const BackupEntry*>& entries) {
  std::set<std::string> out;
  for (const auto* e : entries) out.insert(label_of(*e));
  return out;
}

const date::time_zone* zone_named(const std::string& name) { return date::locate_zone(name); }

// ---------------------------------------------------------------------------------------
// Table of histories with the exact set each policy keeps.

struct HistoryCase {
  std::string name;
  std::vector<std::string> backups;  // labels, any order
  RetentionPolicy policy;
  std::string zone;
  std::set<std::string> kept;
};

std::ostream& operator<<(std::ostream& os, const HistoryCase& c) { return os << c.name; }

const RetentionPolicy kDefault{};

std::vector<HistoryCase> history_cases() {
  std::vector<HistoryCase> cases;

  // Three years of daily backups, default policy (4/4/4/999). 2025-12-31 is a Wednesday
  // in 2026-W01; the weekly rule then takes the Sundays of W52, W51, W50.
  cases.push_back({"daily_3y_default",
                   daily_series("2023-01-01", "2025-12-31"),
                   kDefault,
                   "UTC",
                   {"2023-12-31 04:00", "2024-12-31 04:00", "2025-09-30 04:00", "2025-10-31 04:00", "2025-11-30 04:00",
                    "2025-12-14 04:00", "2025-12-21 04:00", "2025-12-28 04:00", "2025-12-29 04:00", "2025-12-30 04:00",
                    "2025-12-31 04:00"}});

  // Same, ending on a Wednesday in March: February has 28 days, 2026-03-01 is a Sunday.
  cases.push_back({"daily_since_mid_2023_default",
                   daily_series("2023-06-15", "2026-03-04"),
                   kDefault,
                   "Europe/Moscow",
                   {"2023-12-31 04:00", "2024-12-31 04:00", "2025-12-31 04:00", "2026-01-31 04:00", "2026-02-15 04:00",
                    "2026-02-22 04:00", "2026-02-28 04:00", "2026-03-01 04:00", "2026-03-02 04:00", "2026-03-03 04:00",
                    "2026-03-04 04:00"}});

  cases.push_back({"daily_3y_monthly_only_6",
                   daily_series("2023-01-01", "2025-12-31"),
                   {0, 0, 6, 0},
                   "UTC",
                   {"2025-07-31 04:00", "2025-08-31 04:00", "2025-09-30 04:00", "2025-10-31 04:00", "2025-11-30 04:00",
                    "2025-12-31 04:00"}});

  cases.push_back({"daily_3y_daily_only_7",
                   daily_series("2023-01-01", "2025-12-31"),
                   {7, 0, 0, 0},
                   "UTC",
                   {"2025-12-25 04:00", "2025-12-26 04:00", "2025-12-27 04:00", "2025-12-28 04:00", "2025-12-29 04:00",
                    "2025-12-30 04:00", "2025-12-31 04:00"}});

  cases.push_back({"daily_3y_yearly_only_2",
                   daily_series("2023-01-01", "2025-12-31"),
                   {0, 0, 0, 2},
                   "UTC",
                   {"2024-12-31 04:00", "2025-12-31 04:00"}});

  // Every 1st of the month failed and March is missing altogether: each month that has a
  // backup keeps its latest one, and the rule reaches back past the empty month.
  cases.push_back(
      {"missing_firsts_and_a_month",
       daily_series("2025-01-01", "2025-06-10", "04:00",
                    [](date::year_month_day d) { return d.day() == date::day{1} || d.month() == date::March; }),
       {0, 0, 4, 0},
       "UTC",
       {"2025-02-28 04:00", "2025-04-30 04:00", "2025-05-31 04:00", "2025-06-10 04:00"}});

  // Only a few backups a month; May 1st missing: May keeps its latest other backup.
  cases.push_back({"sparse_months",
                   {"2025-04-02 04:00", "2025-04-15 04:00", "2025-05-02 04:00", "2025-05-20 04:00", "2025-06-01 04:00"},
                   {0, 0, 3, 0},
                   "UTC",
                   {"2025-04-15 04:00", "2025-05-20 04:00", "2025-06-01 04:00"}});

  // ISO week 2025-W12 (17..23 March) missing: the weekly rule takes W14, W13, W11, W10.
  cases.push_back({"missing_week",
                   daily_series("2025-01-01", "2025-03-31", "04:00",
                                [](date::year_month_day d) {
                                  return d.month() == date::March && d.day() >= date::day{17} &&
                                         d.day() <= date::day{23};
                                }),
                   {0, 4, 0, 0},
                   "UTC",
                   {"2025-03-09 04:00", "2025-03-16 04:00", "2025-03-30 04:00", "2025-03-31 04:00"}});

  // Missing days: the daily rule keeps the 4 most recent days that have a backup.
  cases.push_back({"missing_days",
                   {"2025-06-01 04:00", "2025-06-04 04:00", "2025-06-05 04:00", "2025-06-08 04:00", "2025-06-10 04:00"},
                   {4, 0, 0, 0},
                   "UTC",
                   {"2025-06-04 04:00", "2025-06-05 04:00", "2025-06-08 04:00", "2025-06-10 04:00"}});

  // Three backups a day: only the newest of a day counts. 2025-06-08 is a Sunday (W23).
  {
    std::vector<std::string> three_a_day = concat(
        concat(daily_series("2025-06-01", "2025-06-10", "04:00"), daily_series("2025-06-01", "2025-06-10", "12:00")),
        daily_series("2025-06-01", "2025-06-10", "20:00"));
    cases.push_back({"several_a_day_daily_weekly",
                     three_a_day,
                     {2, 2, 0, 0},
                     "UTC",
                     {"2025-06-08 20:00", "2025-06-09 20:00", "2025-06-10 20:00"}});
    cases.push_back(
        {"several_a_day_default",
         three_a_day,
         kDefault,
         "UTC",
         {"2025-06-01 20:00", "2025-06-07 20:00", "2025-06-08 20:00", "2025-06-09 20:00", "2025-06-10 20:00"}});
  }

  // Month and year boundaries within minutes. In Moscow (UTC+3) every backup here moves
  // to the next day, and two of them into the next month or year: different kept sets.
  {
    std::vector<std::string> edges = {"2024-12-30 23:00", "2024-12-31 23:30", "2025-01-01 00:10", "2025-01-31 23:59",
                                      "2025-02-01 00:00"};
    cases.push_back({"month_year_edges_utc",
                     edges,
                     {0, 0, 3, 2},
                     "UTC",
                     {"2024-12-31 23:30", "2025-01-31 23:59", "2025-02-01 00:00"}});
    cases.push_back({"month_year_edges_moscow",
                     edges,
                     {0, 0, 3, 2},
                     "Europe/Moscow",
                     {"2024-12-30 23:00", "2025-01-01 00:10", "2025-02-01 00:00"}});
  }

  // ISO week 53: 2020-12-28 (Mon) .. 2021-01-03 (Sun) are 2020-W53; 2021-01-04 is 2021-W01.
  {
    std::vector<std::string> w53 = {"2020-12-27 04:00", "2020-12-28 04:00", "2020-12-31 04:00", "2021-01-03 04:00",
                                    "2021-01-04 04:00"};
    cases.push_back(
        {"iso_week_53_weekly", w53, {0, 3, 0, 0}, "UTC", {"2020-12-27 04:00", "2021-01-03 04:00", "2021-01-04 04:00"}});
    // The weekly rule follows ISO years, the yearly rule calendar years.
    cases.push_back({"iso_week_53_weekly_and_yearly",
                     w53,
                     {0, 3, 0, 2},
                     "UTC",
                     {"2020-12-27 04:00", "2020-12-31 04:00", "2021-01-03 04:00", "2021-01-04 04:00"}});
  }
  // 2024-12-30 and 2024-12-31 belong to 2025-W01 (with 2025-01-05), 2024-12-29 to 2024-W52.
  cases.push_back({"dec_30_in_next_iso_year",
                   {"2024-12-29 04:00", "2024-12-30 04:00", "2024-12-31 04:00", "2025-01-05 04:00"},
                   {0, 2, 0, 0},
                   "UTC",
                   {"2024-12-29 04:00", "2025-01-05 04:00"}});

  // DST in Berlin, spring forward on 2025-03-30 (02:00 CET -> 03:00 CEST): 22:30Z that day
  // is 00:30 CEST on the 31st (a fixed +1h would say 23:30 on the 30th).
  {
    std::vector<std::string> spring = {"2025-03-29 22:30", "2025-03-30 21:00", "2025-03-30 22:30"};
    cases.push_back(
        {"dst_spring_berlin", spring, {2, 0, 0, 0}, "Europe/Berlin", {"2025-03-30 21:00", "2025-03-30 22:30"}});
    cases.push_back({"dst_spring_utc", spring, {2, 0, 0, 0}, "UTC", {"2025-03-29 22:30", "2025-03-30 22:30"}});
  }
  // Fall back on 2025-10-26 (03:00 CEST -> 02:00 CET): 00:30Z and 01:30Z are both 02:30
  // local; 2025-10-25 22:30Z is 00:30 CEST on the 26th, 21:30Z is 23:30 on the 25th.
  {
    std::vector<std::string> fall = {"2025-10-25 21:30", "2025-10-25 22:30", "2025-10-26 00:30", "2025-10-26 01:30"};
    cases.push_back({"dst_fall_berlin", fall, {2, 0, 0, 0}, "Europe/Berlin", {"2025-10-25 21:30", "2025-10-26 01:30"}});
    cases.push_back({"dst_fall_utc", fall, {2, 0, 0, 0}, "UTC", {"2025-10-25 22:30", "2025-10-26 01:30"}});
  }

  // 2026-03-02T21:30Z is 2026-03-03 00:30 in Moscow: the 3rd there, the 2nd in UTC.
  {
    std::vector<std::string> msk = {"2026-03-01 04:00", "2026-03-02 04:00", "2026-03-02 21:30"};
    cases.push_back(
        {"zone_boundary_moscow", msk, {2, 0, 0, 0}, "Europe/Moscow", {"2026-03-02 04:00", "2026-03-02 21:30"}});
    cases.push_back({"zone_boundary_utc", msk, {2, 0, 0, 0}, "UTC", {"2026-03-01 04:00", "2026-03-02 21:30"}});
  }

  cases.push_back({"single_backup", {"2026-03-02 04:00"}, kDefault, "UTC", {"2026-03-02 04:00"}});
  cases.push_back({"empty", {}, kDefault, "UTC", {}});

  // Every rule disabled (config rejects it, the policy still never drops the newest).
  cases.push_back(
      {"all_zero_keeps_newest", daily_series("2025-01-01", "2025-01-10"), {0, 0, 0, 0}, "UTC", {"2025-01-10 04:00"}});

  // Legacy and new backups in one timeline: dates decide, the kind suffix does not.
  cases.push_back({"legacy_interleaved_daily",
                   {"2025-01-14 04:00", "L2025_01_13", "2025-01-12 04:00", "L2025_01_12", "L2025_01_11"},
                   {4, 0, 0, 0},
                   "UTC",
                   {"2025-01-14 04:00", "L2025_01_13", "2025-01-12 04:00", "L2025_01_11"}});
  {
    std::vector<std::string> migrated;
    for (const auto& d : daily_series("2024-01-01", "2024-12-31", "")) {
      std::string id = d.substr(0, 10);
      std::replace(id.begin(), id.end(), '-', '_');
      migrated.push_back("L" + id);
    }
    migrated = concat(migrated, daily_series("2025-01-01", "2025-03-10"));
    // 2025-03-10 is a Monday (W11); the December 2024 and 2024 periods only have legacy backups.
    cases.push_back({"legacy_then_new_default",
                     migrated,
                     kDefault,
                     "Europe/Moscow",
                     {"L2024_12_31", "2025-01-31 04:00", "2025-02-23 04:00", "2025-02-28 04:00", "2025-03-02 04:00",
                      "2025-03-07 04:00", "2025-03-08 04:00", "2025-03-09 04:00", "2025-03-10 04:00"}});
  }
  // A legacy object's period is the date in its key even west of UTC, where its
  // midnight-UTC time would be the evening before (2025-01-31 19:00 in New York).
  cases.push_back({"legacy_date_west_of_utc",
                   {"2025-01-15 12:00", "2025-01-31 12:00", "L2025_02_01"},
                   {0, 0, 2, 0},
                   "America/New_York",
                   {"2025-01-31 12:00", "L2025_02_01"}});
  // Where a legacy object and a new backup meet west of UTC, the periods along the walk go
  // out of step: 2025-02-01 03:00Z is January 31st in New York, newer than the legacy
  // object of February 1st. January must count once, so December is still kept.
  cases.push_back({"legacy_overlap_west_of_utc",
                   {"2024-12-20 12:00", "2025-01-15 12:00", "L2025_02_01", "2025-02-01 03:00"},
                   {0, 0, 3, 0},
                   "America/New_York",
                   {"2024-12-20 12:00", "L2025_02_01", "2025-02-01 03:00"}});
  return cases;
}

class RetentionHistoryTest : public ::testing::TestWithParam<HistoryCase> {};

TEST_P(RetentionHistoryTest, KeepsExactly) {
  const HistoryCase& c = GetParam();
  const auto backups = history(c.backups);
  for (const auto& k : c.kept) {
    const bool present =
        std::any_of(backups.begin(), backups.end(), [&](const BackupEntry& e) { return label_of(e) == k; });
    ASSERT_TRUE(present) << "expected backup not in the history: " << k;
  }

  const RetentionPlan plan = plan_retention(backups, c.policy, zone_named(c.zone));
  EXPECT_EQ(labels(plan.keep()), c.kept);

  // One decision per input, newest first, pointing into the input; keep/drop partition it.
  ASSERT_EQ(plan.decisions.size(), backups.size());
  for (std::size_t i = 0; i < backups.size(); ++i) {
    EXPECT_EQ(plan.decisions[i].backup, &backups[i]);
    EXPECT_EQ(plan.decisions[i].keep, !plan.decisions[i].reasons.empty());
  }
  EXPECT_EQ(plan.keep().size() + plan.drop().size(), backups.size());
  if (!backups.empty()) {
    EXPECT_TRUE(plan.decisions.front().keep) << "the newest backup must always be kept";
  }
}

INSTANTIATE_TEST_SUITE_P(Retention, RetentionHistoryTest, ::testing::ValuesIn(history_cases()),
                         [](const ::testing::TestParamInfo<HistoryCase>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------
// Reasons, ordering and the small functions.

std::map<std::string, std::string> reasons_by_label(const RetentionPlan& plan) {
  std::map<std::string, std::string> out;
  for (const auto& d : plan.decisions) out[label_of(*d.backup)] = describe_reasons(d.reasons);
  return out;
}

TEST(RetentionReasons, NameEveryRuleThatKeepsABackupInOrder) {
  const auto backups = history(daily_series("2023-01-01", "2025-12-31"));
  const auto reasons = reasons_by_label(plan_retention(backups, kDefault, zone_named("UTC")));
  EXPECT_EQ(reasons.at("2025-12-31 04:00"), "daily, weekly, monthly, yearly");
  EXPECT_EQ(reasons.at("2025-12-30 04:00"), "daily");
  EXPECT_EQ(reasons.at("2025-12-28 04:00"), "daily, weekly");
  EXPECT_EQ(reasons.at("2025-12-21 04:00"), "weekly");
  EXPECT_EQ(reasons.at("2025-11-30 04:00"), "monthly");
  EXPECT_EQ(reasons.at("2024-12-31 04:00"), "yearly");
  EXPECT_EQ(reasons.at("2024-12-30 04:00"), "");
}

TEST(RetentionReasons, NewestOnlyWhenNoRuleKeepsIt) {
  const auto backups = history({"2025-01-01 04:00", "2025-01-02 04:00"});
  const RetentionPlan plan = plan_retention(backups, {0, 0, 0, 0}, zone_named("UTC"));
  ASSERT_EQ(plan.decisions.size(), 2u);
  EXPECT_EQ(plan.decisions[0].reasons, std::vector<std::string>{"newest"});
  EXPECT_TRUE(plan.decisions[0].keep);
  EXPECT_FALSE(plan.decisions[1].keep);
  EXPECT_TRUE(plan.decisions[1].reasons.empty());

  // With a rule enabled the newest is kept by the rule, and "newest" is not added.
  const RetentionPlan yearly = plan_retention(backups, {0, 0, 0, 1}, zone_named("UTC"));
  EXPECT_EQ(yearly.decisions[0].reasons, std::vector<std::string>{"yearly"});
}

TEST(RetentionReasons, SingleBackupKeptByEveryRule) {
  const auto backups = history({"2026-03-02 04:00"});
  const RetentionPlan plan = plan_retention(backups, kDefault, zone_named("UTC"));
  ASSERT_EQ(plan.decisions.size(), 1u);
  EXPECT_EQ(plan.decisions[0].reasons, (std::vector<std::string>{"daily", "weekly", "monthly", "yearly"}));
  EXPECT_TRUE(plan.drop().empty());
}

TEST(RetentionPlan, EmptyInputGivesEmptyPlan) {
  const std::vector<BackupEntry> none;
  const RetentionPlan plan = plan_retention(none, kDefault, zone_named("UTC"));
  EXPECT_TRUE(plan.decisions.empty());
  EXPECT_TRUE(plan.keep().empty());
  EXPECT_TRUE(plan.drop().empty());
}

TEST(RetentionPlan, IdenticalTimesAreBothConsideredInTheGivenOrder) {
  BackupEntry a = new_backup("2025-06-10 04:00");
  BackupEntry b = a;
  a.id = "a";
  b.id = "b";
  const BackupEntry older = new_backup("2025-06-09 04:00");
  {
    const std::vector<BackupEntry> list = {a, b, older};
    const RetentionPlan plan = plan_retention(list, {2, 0, 0, 0}, zone_named("UTC"));
    ASSERT_EQ(plan.decisions.size(), 3u);
    EXPECT_EQ(plan.decisions[0].backup->id, "a");
    EXPECT_TRUE(plan.decisions[0].keep);
    EXPECT_FALSE(plan.decisions[1].keep);
    EXPECT_TRUE(plan.decisions[2].keep);
  }
  {
    const std::vector<BackupEntry> list = {b, a, older};
    const RetentionPlan plan = plan_retention(list, {2, 0, 0, 0}, zone_named("UTC"));
    EXPECT_EQ(plan.decisions[0].backup->id, "b");
    EXPECT_TRUE(plan.decisions[0].keep);
    EXPECT_FALSE(plan.decisions[1].keep);
  }
}

TEST(RetentionPlan, UnsortedInputIsWalkedNewestFirst) {
  // Oldest first by mistake: walking it as given would keep the two oldest days.
  std::vector<BackupEntry> list;
  for (const auto& l : daily_series("2025-01-01", "2025-01-05")) list.push_back(new_backup(l));
  const RetentionPlan plan = plan_retention(list, {2, 0, 0, 0}, zone_named("UTC"));
  EXPECT_EQ(labels(plan.keep()), (std::set<std::string>{"2025-01-04 04:00", "2025-01-05 04:00"}));
  ASSERT_EQ(plan.decisions.size(), 5u);
  EXPECT_EQ(label_of(*plan.decisions.front().backup), "2025-01-05 04:00");
  EXPECT_EQ(label_of(*plan.decisions.back().backup), "2025-01-01 04:00");
}

TEST(RetentionPlan, NullZoneMeansUtc) {
  const auto backups = history({"2026-03-01 04:00", "2026-03-02 04:00", "2026-03-02 21:30"});
  EXPECT_EQ(labels(plan_retention(backups, {2, 0, 0, 0}, nullptr).keep()),
            labels(plan_retention(backups, {2, 0, 0, 0}, zone_named("UTC")).keep()));
}

TEST(RetentionPlan, KeepAndDropAreNewestFirst) {
  const auto backups = history(daily_series("2025-01-01", "2025-01-10"));
  const RetentionPlan plan = plan_retention(backups, {3, 0, 0, 0}, zone_named("UTC"));
  const auto keep = plan.keep();
  const auto drop = plan.drop();
  ASSERT_EQ(keep.size(), 3u);
  ASSERT_EQ(drop.size(), 7u);
  EXPECT_EQ(keep[0], &backups[0]);
  EXPECT_EQ(keep[2], &backups[2]);
  EXPECT_EQ(drop[0], &backups[3]);
  EXPECT_EQ(drop[6], &backups[9]);
}

TEST(RetentionPolicyFrom, UnsetKindsTakeTheDefaults) {
  const RetentionPolicy p = policy_from(RetentionCounts{});
  EXPECT_EQ(p.daily, 4);
  EXPECT_EQ(p.weekly, 4);
  EXPECT_EQ(p.monthly, 4);
  EXPECT_EQ(p.yearly, 999);
}

TEST(RetentionPolicyFrom, OverridesOnlyTheNamedKinds) {
  RetentionCounts c;
  c.weekly = 10;
  const RetentionPolicy p = policy_from(c);
  EXPECT_EQ(p.daily, 4);
  EXPECT_EQ(p.weekly, 10);
  EXPECT_EQ(p.monthly, 4);
  EXPECT_EQ(p.yearly, 999);

  RetentionCounts d;
  d.daily = 0;
  d.yearly = 3;
  const RetentionPolicy q = policy_from(d);
  EXPECT_EQ(q.daily, 0);
  EXPECT_EQ(q.weekly, 4);
  EXPECT_EQ(q.monthly, 4);
  EXPECT_EQ(q.yearly, 3);

  const RetentionPolicy all = policy_from(RetentionCounts{7, 5, 12, 2});
  EXPECT_EQ(all.daily, 7);
  EXPECT_EQ(all.weekly, 5);
  EXPECT_EQ(all.monthly, 12);
  EXPECT_EQ(all.yearly, 2);
}

TEST(RetentionPolicyFrom, ConfigDefaultsGiveTheDefaultPolicy) {
  const RetentionPolicy p = policy_from(Config{}.retention);
  EXPECT_EQ(p.daily, 4);
  EXPECT_EQ(p.weekly, 4);
  EXPECT_EQ(p.monthly, 4);
  EXPECT_EQ(p.yearly, 999);
}

TEST(RetentionDescribe, JoinsWithCommas) {
  EXPECT_EQ(describe_reasons({}), "");
  EXPECT_EQ(describe_reasons({"daily"}), "daily");
  EXPECT_EQ(describe_reasons({"daily", "monthly"}), "daily, monthly");
  EXPECT_EQ(describe_reasons({"newest"}), "newest");
}

// ---------------------------------------------------------------------------------------
// Randomized cross-check against the policy restated over sets: for each rule, group the
// backups by period (formatted with %F, %G-W%V, %Y-%m, %Y in the zone), take the N latest
// periods, keep the newest backup of each; keep the newest backup overall.

std::set<const BackupEntry*> reference_keep(const std::vector<BackupEntry>& newest_first, const RetentionPolicy& p,
                                            const date::time_zone* zone) {
  std::set<const BackupEntry*> keep;
  if (newest_first.empty()) return keep;
  const std::pair<const char*, int> rules[] = {
      {"%F", p.daily}, {"%G-W%V", p.weekly}, {"%Y-%m", p.monthly}, {"%Y", p.yearly}};
  for (const auto& [fmt, count] : rules) {
    std::map<std::string, const BackupEntry*, std::greater<>> newest_of_period;
    for (const auto& e : newest_first) {
      const std::string period = date::format(fmt, date::make_zoned(zone, e.time));
      newest_of_period.emplace(period, &e);  // first seen = newest (input is newest first)
    }
    int n = 0;
    for (const auto& [period, e] : newest_of_period) {
      if (n++ >= count) break;
      keep.insert(e);
    }
  }
  keep.insert(&newest_first.front());
  return keep;
}

TEST(RetentionCrossCheck, RandomHistoriesMatchTheSetDefinition) {
  std::mt19937 rng(20260302);
  const char* zones[] = {"UTC",
                         "Europe/Moscow",
                         "Europe/Berlin",
                         "America/New_York",
                         "Australia/Lord_Howe",
                         "Asia/Kathmandu",
                         "Pacific/Chatham"};
  const TimePoint start = utc("2019-06-01 00:00");
  for (int round = 0; round < 200; ++round) {
    const date::time_zone* zone = zone_named(zones[rng() % std::size(zones)]);
    const int n = static_cast<int>(rng() % 300);
    // Mix of dense (hours apart) and sparse (weeks apart) histories.
    const int max_gap_minutes = (round % 3 == 0) ? 6 * 60 : (round % 3 == 1) ? 3 * 24 * 60 : 40 * 24 * 60;
    std::vector<BackupEntry> list;
    TimePoint t = start + minutes(rng() % (365 * 24 * 60));
    for (int i = 0; i < n; ++i) {
      t += minutes(rng() % max_gap_minutes);  // 0 allowed: identical times happen
      BackupEntry e;
      e.db = "db";
      e.time = t;
      e.id = format_backup_id(t) + "#" + std::to_string(i);
      list.push_back(e);
    }
    std::reverse(list.begin(), list.end());
    const RetentionPolicy p{static_cast<int>(rng() % 8), static_cast<int>(rng() % 6), static_cast<int>(rng() % 14),
                            static_cast<int>(rng() % 4)};
    const RetentionPlan plan = plan_retention(list, p, zone);
    const auto kept = plan.keep();
    const std::set<const BackupEntry*> got(kept.begin(), kept.end());
    ASSERT_EQ(got, reference_keep(list, p, zone))
        << "round " << round << " zone " << zone->name() << " n " << n << " policy " << p.daily << "/" << p.weekly
        << "/" << p.monthly << "/" << p.yearly;
  }
}

// ---------------------------------------------------------------------------------------
// Untrusted backups (issue: a future-dated copy deleted the backup a run had just made).

TEST(RetentionTrust, UntrustedBackupIsKeptAndTakesNoSlot) {
  // Newest first: a future-dated copy, today's real backup, and three older days.
  auto list = history({"2026-12-01 23:00", "2026-12-01 04:00", "2026-11-30 04:00", "2026-11-29 04:00",
                       "2026-11-28 04:00"});
  list[0].distrust = "dated 19 h in the future";
  const RetentionPlan plan = plan_retention(list, RetentionPolicy{2, 0, 0, 0}, nullptr);
  auto reasons = reasons_by_label(plan);
  EXPECT_EQ(reasons["2026-12-01 23:00"], "untrusted");
  EXPECT_EQ(reasons["2026-12-01 04:00"], "daily");  // not displaced by the copy of its day
  EXPECT_EQ(reasons["2026-11-30 04:00"], "daily");
  EXPECT_EQ(labels(plan.drop()), (std::set<std::string>{"2026-11-29 04:00", "2026-11-28 04:00"}));
}

TEST(RetentionTrust, NewestMeansNewestTrusted) {
  auto list = history({"2026-12-02 10:00", "2026-12-01 04:00", "2026-11-30 04:00"});
  list[0].distrust = "its manifest describes database \"other\"";
  const RetentionPlan plan = plan_retention(list, RetentionPolicy{0, 0, 0, 0}, nullptr);
  auto reasons = reasons_by_label(plan);
  EXPECT_EQ(reasons["2026-12-02 10:00"], "untrusted");
  EXPECT_EQ(reasons["2026-12-01 04:00"], "newest");
  EXPECT_EQ(labels(plan.drop()), (std::set<std::string>{"2026-11-30 04:00"}));
}

TEST(RetentionTrust, OnlyUntrustedBackupsAreAllKept) {
  auto list = history({"2026-12-02 10:00", "2026-12-01 04:00"});
  for (auto& e : list) e.distrust = "broken";
  const RetentionPlan plan = plan_retention(list, RetentionPolicy{1, 0, 0, 0}, nullptr);
  EXPECT_TRUE(plan.drop().empty());
}

TEST(RetentionTrust, JustMadeBackupStaysWhenATrustedNewerOneFillsItsDay) {
  // Another host (clock slightly ahead, not in the future any more) wrote 04:00:30 after
  // our 04:00:00 of the same day; daily = 1 would keep only the newer one.
  auto list = history({"2026-12-01 04:01", "2026-12-01 04:00", "2026-11-30 04:00"});
  const RetentionPlan plan = plan_retention(list, RetentionPolicy{1, 0, 0, 0}, nullptr, {list[1].id});
  auto reasons = reasons_by_label(plan);
  EXPECT_EQ(reasons["2026-12-01 04:01"], "daily");
  EXPECT_EQ(reasons["2026-12-01 04:00"], "just made");
  EXPECT_EQ(labels(plan.drop()), (std::set<std::string>{"2026-11-30 04:00"}));
}

TEST(RetentionCrossCheck, UntrustedBackupsNeverChangeWhichTrustedOnesAreKept) {
  // Property: the trusted backups kept are exactly those kept when the untrusted ones are
  // removed from the store, and every untrusted backup is kept.
  std::mt19937 rng(20261201);
  const TimePoint start = utc("2024-01-01 00:00");
  for (int round = 0; round < 300; ++round) {
    const int n = 1 + static_cast<int>(rng() % 120);
    std::vector<BackupEntry> list;
    TimePoint t = start + minutes(rng() % (365 * 24 * 60));
    for (int i = 0; i < n; ++i) {
      t += minutes(rng() % (3 * 24 * 60));
      BackupEntry e;
      e.db = "db";
      e.time = t;
      e.id = format_backup_id(t) + "#" + std::to_string(i);
      if (rng() % 4 == 0) e.distrust = "untrusted #" + std::to_string(i);
      list.push_back(e);
    }
    std::reverse(list.begin(), list.end());
    const RetentionPolicy p{static_cast<int>(rng() % 8), static_cast<int>(rng() % 6), static_cast<int>(rng() % 14),
                            static_cast<int>(rng() % 4)};
    std::vector<BackupEntry> trusted_only;
    for (const auto& e : list)
      if (e.distrust.empty()) trusted_only.push_back(e);
    std::set<std::string> expected;
    for (const auto* e : plan_retention(trusted_only, p, nullptr).keep()) expected.insert(e->id);
    std::set<std::string> got_trusted;
    for (const auto& d : plan_retention(list, p, nullptr).decisions) {
      if (!d.backup->distrust.empty()) {
        ASSERT_TRUE(d.keep) << "round " << round << ": untrusted " << d.backup->id << " dropped";
        ASSERT_EQ(d.reasons, std::vector<std::string>{"untrusted"});
      } else if (d.keep) {
        got_trusted.insert(d.backup->id);
      }
    }
    ASSERT_EQ(got_trusted, expected) << "round " << round;
  }
}

}  // namespace
}  // namespace bb
