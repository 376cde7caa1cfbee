// Retention policy: restic's `forget --keep-daily/weekly/monthly/yearly` over one database.
#include "catalog/retention.h"

#include <date/iso_week.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <unordered_set>

namespace bb {

namespace {

// The calendar day a backup belongs to. A new-layout backup: its start time's local date
// in `zone`. A legacy backup: the date written in its key (the old tool named objects by
// its local date; its time is midnight UTC of that date, so converting it into a zone
// west of UTC would move it to the day before).
date::local_days local_day(const BackupEntry& e, const date::time_zone* zone) {
  if (e.legacy || zone == nullptr) {
    return date::local_days{date::floor<date::days>(e.time).time_since_epoch()};
  }
  return date::floor<date::days>(date::make_zoned(zone, e.time).get_local_time());
}

// One rule: how many more periods it may keep, and the periods it has kept. restic only
// remembers the last kept period; that is the same as long as periods never increase along
// the walk, which holds for new-layout backups. A legacy backup dated by its key can sit
// a few hours out of step (west of UTC), and must not make a rule keep one period twice
// and lose an older one.
struct Rule {
  const char* name;
  int remaining;
  std::unordered_set<long> kept_periods{};
};

enum RuleIndex { kDaily, kWeekly, kMonthly, kYearly, kRuleCount };

// The period of each rule for one local day, as comparable numbers.
std::array<long, kRuleCount> periods_of(date::local_days day) {
  const date::year_month_day ymd{day};
  const iso_week::year_weeknum_weekday iw{day};
  const long y = static_cast<int>(ymd.year());
  return {
      static_cast<long>(day.time_since_epoch().count()),
      static_cast<long>(static_cast<int>(iw.year())) * 100 + static_cast<long>(static_cast<unsigned>(iw.weeknum())),
      y * 12 + static_cast<long>(static_cast<unsigned>(ymd.month())) - 1,
      y,
  };
}

}  // namespace

RetentionPolicy policy_from(const RetentionCounts& counts) {
  const RetentionPolicy defaults;
  RetentionPolicy p;
  p.daily = counts.daily.value_or(defaults.daily);
  p.weekly = counts.weekly.value_or(defaults.weekly);
  p.monthly = counts.monthly.value_or(defaults.monthly);
  p.yearly = counts.yearly.value_or(defaults.yearly);
  return p;
}

std::vector<const BackupEntry*> RetentionPlan::keep() const {
  std::vector<const BackupEntry*> out;
  for (const auto& d : decisions)
    if (d.keep) out.push_back(d.backup);
  return out;
}

std::vector<const BackupEntry*> RetentionPlan::drop() const {
  std::vector<const BackupEntry*> out;
  for (const auto& d : decisions)
    if (!d.keep) out.push_back(d.backup);
  return out;
}

RetentionPlan plan_retention(const std::vector<BackupEntry>& newest_first, const RetentionPolicy& policy,
                             const date::time_zone* zone, const std::vector<std::string>& keep_ids) {
  std::vector<const BackupEntry*> order;
  order.reserve(newest_first.size());
  for (const auto& e : newest_first) order.push_back(&e);
  // Walking in any other order would keep the wrong backups; never trust the caller blindly.
  const auto newer = [](const BackupEntry* a, const BackupEntry* b) { return a->time > b->time; };
  if (!std::is_sorted(order.begin(), order.end(), newer)) std::stable_sort(order.begin(), order.end(), newer);

  std::array<Rule, kRuleCount> rules{{
      {"daily", policy.daily},
      {"weekly", policy.weekly},
      {"monthly", policy.monthly},
      {"yearly", policy.yearly},
  }};

  RetentionPlan plan;
  plan.decisions.reserve(order.size());
  bool seen_trusted = false;
  for (const BackupEntry* e : order) {
    RetentionDecision d{e, false, {}};
    if (!e->distrust.empty()) {  // evidence: kept, and it takes no period from a trusted backup
      d.reasons.emplace_back("untrusted");
      d.keep = true;
      plan.decisions.push_back(std::move(d));
      continue;
    }
    const auto periods = periods_of(local_day(*e, zone));
    for (int i = 0; i < kRuleCount; ++i) {
      Rule& r = rules[i];
      if (r.remaining <= 0) continue;
      if (!r.kept_periods.insert(periods[i]).second) continue;
      --r.remaining;
      d.reasons.emplace_back(r.name);
    }
    if (!seen_trusted && d.reasons.empty()) d.reasons.emplace_back("newest");
    seen_trusted = true;
    if (d.reasons.empty() && std::find(keep_ids.begin(), keep_ids.end(), e->id) != keep_ids.end())
      d.reasons.emplace_back("just made");
    d.keep = !d.reasons.empty();
    plan.decisions.push_back(std::move(d));
  }
  return plan;
}

std::string describe_reasons(const std::vector<std::string>& reasons) {
  std::string out;
  for (const auto& r : reasons) {
    if (!out.empty()) out += ", ";
    out += r;
  }
  return out;
}

}  // namespace bb
