// The schedules of `serve` as data.
#include "ops/schedule.h"

#include <algorithm>
#include <map>

namespace bb {

std::vector<ScheduleEntry> schedule_entries(const Config& config) {
  std::map<std::string, ScheduleEntry> by_text;
  auto entry_for = [&](const std::string& text) -> ScheduleEntry& {
    auto it = by_text.find(text);
    if (it == by_text.end()) it = by_text.emplace(text, ScheduleEntry{CronSchedule::parse(text), {}, false}).first;
    return it->second;
  };
  for (const auto& db : config.databases) entry_for(db.schedule.value_or(config.backup.schedule)).databases.push_back(db.name);
  if (config.backup.all_databases) entry_for(config.backup.schedule).all_others = true;
  std::vector<ScheduleEntry> out;
  for (auto& [text, e] : by_text) out.push_back(std::move(e));
  return out;
}

std::vector<std::string> due_for_catch_up(const std::vector<std::string>& databases, const CronSchedule& schedule,
                                          TimePoint now, const date::time_zone* zone,
                                          std::chrono::seconds catch_up,
                                          const std::function<std::optional<TimePoint>(const std::string&)>& last_run) {
  std::vector<std::string> due;
  auto fired = schedule.previous_at_or_before(now, zone);
  if (!fired || now - *fired > catch_up) return due;
  for (const auto& db : databases)
    if (last_run(db).value_or(TimePoint{}) < *fired) due.push_back(db);
  return due;
}

std::optional<TimePoint> next_scheduled_run(const std::vector<ScheduleEntry>& entries, const Config& config,
                                            const std::string& database, TimePoint now,
                                            const date::time_zone* zone) {
  const auto& excluded = config.backup.exclude;
  bool configured = config.find_database(database) != nullptr;
  for (const auto& e : entries) {
    bool listed = std::find(e.databases.begin(), e.databases.end(), database) != e.databases.end();
    bool other = e.all_others && !configured &&
                 std::find(excluded.begin(), excluded.end(), database) == excluded.end();
    if (listed || other) return e.schedule.next_after(now, zone);
  }
  return std::nullopt;
}

}  // namespace bb
