// UTC text forms of TimePoint.
#include "util/time.h"

#include <date/date.h>

namespace bb {
bool all_digits(const std::string& s, std::size_t from, std::size_t count) {
  if (from + count > s.size()) return false;
  for (std::size_t i = from; i < from + count; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

int digits_value(const std::string& s, std::size_t from, std::size_t count) { return std::stoi(s.substr(from, count)); }

std::optional<TimePoint> utc_time(int year, int month, int day, int hour, int minute, int second) {
  date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                           date::day{static_cast<unsigned>(day)}};
  if (year < 1970 || year > 2200 || !ymd.ok()) return std::nullopt;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return std::nullopt;
  return date::sys_days(ymd) + std::chrono::hours(hour) + std::chrono::minutes(minute) + std::chrono::seconds(second);
}

std::string format_compact_utc(TimePoint time) {
  return date::format("%Y%m%dT%H%M%SZ", date::floor<std::chrono::seconds>(time));
}

std::optional<TimePoint> parse_compact_utc(const std::string& text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z' || !all_digits(text, 0, 8) || !all_digits(text, 9, 6))
    return std::nullopt;
  return utc_time(digits_value(text, 0, 4), digits_value(text, 4, 2), digits_value(text, 6, 2),
                  digits_value(text, 9, 2), digits_value(text, 11, 2), digits_value(text, 13, 2));
}

std::string format_iso_utc(TimePoint time) {
  return date::format("%Y-%m-%dT%H:%M:%SZ", date::floor<std::chrono::seconds>(time));
}

std::optional<TimePoint> parse_iso_utc(const std::string& text) {
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text[19] != 'Z' || !all_digits(text, 0, 4) || !all_digits(text, 5, 2) ||
      !all_digits(text, 8, 2) || !all_digits(text, 11, 2) || !all_digits(text, 14, 2) || !all_digits(text, 17, 2))
    return std::nullopt;
  return utc_time(digits_value(text, 0, 4), digits_value(text, 5, 2), digits_value(text, 8, 2),
                  digits_value(text, 11, 2), digits_value(text, 14, 2), digits_value(text, 17, 2));
}

std::string format_iso_utc_or_empty(const std::optional<TimePoint>& time) {
  return time ? format_iso_utc(*time) : std::string();
}

}  // namespace bb
