// Time zones and user-typed times.
#include "util/timezone.h"

#include <date/tz.h>

#include <regex>

#include "util/error.h"
#include "util/format.h"

namespace bb {

const date::time_zone* resolve_zone(const std::string& name) {
  try {
    if (name.empty()) return date::current_zone();
    return date::locate_zone(name);
  } catch (const std::exception&) {
    if (name.empty()) return date::locate_zone("UTC");
    throw ConfigError("backup.timezone: unknown time zone " + quote_name(name, kQuotedValueMaxBytes) +
                      " — use an IANA name like \"Europe/Moscow\" (see /usr/share/zoneinfo)");
  }
}

TimePoint parse_user_time(const std::string& text, const date::time_zone* zone) {
  if (text.size() > 40) throw ConfigError("--at: \"" + text.substr(0, 40) + "…\" is not a time I understand");
  if (auto id = parse_compact_utc(text)) return *id;  // a backup id
  std::smatch m;
  static const std::regex iso(R"((\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?\s*(Z|[+-]\d{2}:?\d{2})?)");
  static const std::regex ru(R"((\d{2})\.(\d{2})\.(\d{4})(?:\s+(\d{2}):(\d{2})(?::(\d{2}))?)?)");
  int y, mo, d, h = 23, mi = 59, s = 59;
  std::string offset;
  bool has_time = false;
  if (std::regex_match(text, m, iso)) {
    y = std::stoi(m[1]);
    mo = std::stoi(m[2]);
    d = std::stoi(m[3]);
    if (m[4].matched) {
      has_time = true;
      h = std::stoi(m[4]);
      mi = std::stoi(m[5]);
      s = m[6].matched ? std::stoi(m[6]) : 0;
    }
    offset = m[7].matched ? m[7].str() : "";
  } else if (std::regex_match(text, m, ru)) {
    d = std::stoi(m[1]);
    mo = std::stoi(m[2]);
    y = std::stoi(m[3]);
    if (m[4].matched) {
      has_time = true;
      h = std::stoi(m[4]);
      mi = std::stoi(m[5]);
      s = m[6].matched ? std::stoi(m[6]) : 0;
    }
  } else {
    throw ConfigError("--at \"" + text +
                      "\": not a time I understand — use \"2026-09-03\", \"2026-09-03 14:00\", "
                      "\"03.09.2026 14:00\", \"2026-09-03T14:00:00Z\" or a backup id like 20260903T040000Z");
  }
  (void)has_time;
  date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)}, date::day{static_cast<unsigned>(d)}};
  if (y < 1970 || y > 2200 || !ymd.ok() || h > 23 || mi > 59 || s > 59) throw ConfigError("--at \"" + text + "\": no such date or time");
  auto local = date::local_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(s);
  if (offset == "Z") return TimePoint(local.time_since_epoch());
  if (!offset.empty()) {
    int sign = offset[0] == '-' ? -1 : 1;
    std::string digits;
    for (char c : offset)
      if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
    int oh = std::stoi(digits.substr(0, 2)), om = std::stoi(digits.substr(2, 2));
    if (oh > 14 || om > 59) throw ConfigError("--at: the offset " + offset + " is not a real one");
    auto off = std::chrono::hours(oh) + std::chrono::minutes(om);
    return TimePoint(local.time_since_epoch() - sign * off);
  }
  // A wall-clock time that does not exist (DST gap) or exists twice: take the later instant.
  auto info = zone->get_info(local);
  if (info.result == date::local_info::nonexistent) return TimePoint(info.second.begin);
  if (info.result == date::local_info::ambiguous) return zone->to_sys(local, date::choose::latest);
  return zone->to_sys(local);
}

std::string format_local(TimePoint time, const date::time_zone* zone) {
  auto zoned = date::make_zoned(zone, date::floor<std::chrono::seconds>(time));
  return date::format("%Y-%m-%d %H:%M", zoned);
}

}  // namespace bb
