// Cron schedules: parsing the crontab(5) syntax into bit sets, and searching wall-clock
// times day by day, then hour and minute by bit scans. DST rules: see cron.h (a missing
// time fires once when the gap ends; a repeated time fires once, at its first occurrence).
#include "schedule/cron.h"

#include <date/tz.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <vector>

#include "util/error.h"
#include "util/format.h"

namespace bb {

namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using LocalMinutes = date::local_time<minutes>;

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kWeekdayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// One of the five fields: its name in messages, its values, and its names if any.
struct FieldSpec {
  const char* name;
  int min;
  int max;
  const char* const* names;  // nullptr when the field takes numbers only
  int name_count;
  int first_name_value;    // value of names[0]
  const char* accepted;    // "use ..." hint naming the accepted values
  const char* names_hint;  // hint for an unknown name
};

constexpr FieldSpec kFields[5] = {
    {"minute", 0, 59, nullptr, 0, 0, "use 0-59", ""},
    {"hour", 0, 23, nullptr, 0, 0, "use 0-23", ""},
    {"day-of-month", 1, 31, nullptr, 0, 0, "use 1-31", ""},
    {"month", 1, 12, kMonthNames, 12, 1, "use 1-12 or JAN..DEC", "use JAN..DEC or 1-12"},
    {"day-of-week", 0, 7, kWeekdayNames, 7, 0, "use 0-7 or SUN..SAT (0 and 7 are Sunday)", "use SUN..SAT or 0-7"},
};

constexpr const char* kForms = "write a value (5), a list (1,15), a range (1-5), a step (*/15, 0-30/10) or *";

// Throws the ConfigError of one schedule: `schedule "<text>": <detail>`.
[[noreturn]] void fail(const std::string& text, const std::string& detail) {
  throw ConfigError("schedule " + quote_name(text, kQuotedValueMaxBytes) + ": " + detail);
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool all_letters(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; });
}

// Parses one value of a field: a number in range, or a name where the field has names.
int parse_value(const std::string& text, const FieldSpec& f, const std::string& token) {
  const std::string where = std::string(f.name) + ": ";
  if (all_digits(token)) {
    const int value = token.size() > 4 ? f.max + 1 : std::stoi(token);
    if (value < f.min || value > f.max) fail(text, where + token + " is out of range — " + f.accepted);
    return value;
  }
  if (all_letters(token)) {
    if (f.names == nullptr) fail(text, where + "\"" + token + "\" is not a number — " + f.accepted);
    const std::string name = upper(token);
    for (int i = 0; i < f.name_count; ++i) {
      if (name == f.names[i]) return f.first_name_value + i;
    }
    fail(text, where + "unknown name " + token + " — " + f.names_hint);
  }
  if (token.empty()) fail(text, where + "a value is missing — " + kForms);
  fail(text, where + "\"" + token + "\" is not a value — " + kForms);
}

// Parses one field ("1,15", "*/15", "MON-FRI") into a bit set of its values.
std::uint64_t parse_field(const std::string& text, const FieldSpec& f, const std::string& field) {
  const std::string where = std::string(f.name) + ": ";
  std::uint64_t bits = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = field.find(',', start);
    const std::string item = field.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) fail(text, where + "empty item in the list \"" + field + "\" — " + kForms);

    std::string range = item;
    int step = 1;
    const std::size_t slash = item.find('/');
    if (slash != std::string::npos) {
      range = item.substr(0, slash);
      const std::string step_text = item.substr(slash + 1);
      if (!all_digits(step_text)) {
        fail(text, where + "step \"" + step_text + "\" in \"" + item + "\" is not a number — " + kForms);
      }
      step = step_text.size() > 4 ? f.max + 1 : std::stoi(step_text);
      if (step == 0) fail(text, where + "step 0 in \"" + item + "\" — a step must be 1 or more");
      if (step > f.max) {
        fail(text, where + "step " + step_text + " in \"" + item + "\" is too large — use a step of 1-" +
                       std::to_string(f.max));
      }
    }

    int low = f.min;
    int high = f.max;
    if (range != "*") {
      const std::size_t dash = range.find('-');
      if (dash == std::string::npos) {
        low = high = parse_value(text, f, range);
        if (slash != std::string::npos) {
          fail(text, where + "\"" + item + "\": a step needs a range — write " + range + "-" + std::to_string(f.max) +
                         "/" + std::to_string(step) + " or */" + std::to_string(step));
        }
      } else {
        low = parse_value(text, f, range.substr(0, dash));
        high = parse_value(text, f, range.substr(dash + 1));
        if (low > high) {
          std::string hint = "write the lower value first";
          if (f.names == kWeekdayNames && high == 0) hint = "Sunday is also 7, so end the range with 7 (e.g. FRI-7)";
          fail(text, where + "range " + range + " is reversed — " + hint);
        }
      }
    }
    for (int v = low; v <= high; v += step) bits |= std::uint64_t{1} << v;

    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return bits;
}

std::vector<std::string> split_fields(const std::string& text) {
  std::vector<std::string> fields;
  std::string current;
  for (char c : text) {
    if (c == ' ' || c == '\t') {
      if (!current.empty()) fields.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) fields.push_back(current);
  return fields;
}

// The five fields a macro stands for, or empty for an unknown macro.
std::string expand_macro(const std::string& macro) {
  const std::string m = upper(macro);
  if (m == "@HOURLY") return "0 * * * *";
  if (m == "@DAILY" || m == "@MIDNIGHT") return "0 0 * * *";
  if (m == "@WEEKLY") return "0 0 * * 0";
  if (m == "@MONTHLY") return "0 0 1 * *";
  if (m == "@YEARLY" || m == "@ANNUALLY") return "0 0 1 1 *";
  return "";
}

constexpr int kMaxDays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};  // Feb: leap years

const date::time_zone* or_utc(const date::time_zone* zone) {
  static const date::time_zone* const utc = date::locate_zone("UTC");
  return zone != nullptr ? zone : utc;
}

// The one instant a matching wall-clock time fires at (see cron.h): its only or first
// occurrence, or the end of the gap it falls in.
TimePoint fire_instant(LocalMinutes wall, const date::time_zone* zone) {
  const date::local_seconds local{wall};
  const date::local_info info = zone->get_info(local);
  if (info.result == date::local_info::nonexistent) return info.second.begin;
  return date::sys_seconds{local.time_since_epoch() - info.first.offset};
}

// How far the search may go: 400 years (one Gregorian cycle) covers every day/weekday mix.
constexpr days kSearchSpan{146097};

}  // namespace

// The day/hour/minute search over wall-clock times (no time zone involved here).
struct CronSearch {
  static bool month_matches(const CronSchedule& s, const date::year_month_day& ymd) {
    return (s.months_ >> static_cast<unsigned>(ymd.month()) & 1U) != 0;
  }

  static bool day_matches(const CronSchedule& s, date::local_days day) {
    const date::year_month_day ymd{day};
    const bool dom = (s.days_ >> static_cast<unsigned>(ymd.day()) & 1U) != 0;
    const bool dow = (s.weekdays_ >> date::weekday{day}.c_encoding() & 1U) != 0;
    return (s.day_star_ || s.weekday_star_) ? (dom && dow) : (dom || dow);
  }

  // The first matching time of day at or after `from` (minutes since midnight).
  static std::optional<minutes> first_time(const CronSchedule& s, minutes from) {
    int minute = static_cast<int>(from.count() % 60);
    for (int hour = static_cast<int>(from.count() / 60); hour < 24; ++hour, minute = 0) {
      if ((s.hours_ >> hour & 1U) == 0) continue;
      const std::uint64_t later = s.minutes_ & (~std::uint64_t{0} << minute);
      if (later != 0) return minutes(hour * 60 + std::countr_zero(later));
    }
    return std::nullopt;
  }

  // The last matching time of day at or before `to` (minutes since midnight).
  static std::optional<minutes> last_time(const CronSchedule& s, minutes to) {
    int minute = static_cast<int>(to.count() % 60);
    for (int hour = static_cast<int>(to.count() / 60); hour >= 0; --hour, minute = 59) {
      if ((s.hours_ >> hour & 1U) == 0) continue;
      const std::uint64_t earlier = s.minutes_ & ((std::uint64_t{1} << (minute + 1)) - 1);
      if (earlier != 0) return minutes(hour * 60 + std::bit_width(earlier) - 1);
    }
    return std::nullopt;
  }

  // The first matching wall-clock minute at or after `from`, up to `last_day`.
  static std::optional<LocalMinutes> next_match(const CronSchedule& s, LocalMinutes from, date::local_days last_day) {
    date::local_days day = date::floor<days>(from);
    minutes time_of_day = from - day;
    while (day <= last_day) {
      const date::year_month_day ymd{day};
      if (!month_matches(s, ymd)) {  // jump to the 1st of the next month
        day = date::local_days{(ymd.year() / ymd.month() + date::months(1)) / 1};
        time_of_day = minutes(0);
        continue;
      }
      if (day_matches(s, day)) {
        if (auto t = first_time(s, time_of_day)) return day + *t;
      }
      day += days(1);
      time_of_day = minutes(0);
    }
    return std::nullopt;
  }

  // The last matching wall-clock minute at or before `from`, down to `first_day`.
  static std::optional<LocalMinutes> previous_match(const CronSchedule& s, LocalMinutes from,
                                                    date::local_days first_day) {
    constexpr minutes kLastMinute(24 * 60 - 1);
    date::local_days day = date::floor<days>(from);
    minutes time_of_day = from - day;
    while (day >= first_day) {
      const date::year_month_day ymd{day};
      if (!month_matches(s, ymd)) {  // jump to the last day of the previous month
        day = date::local_days{ymd.year() / ymd.month() / 1} - days(1);
        time_of_day = kLastMinute;
        continue;
      }
      if (day_matches(s, day)) {
        if (auto t = last_time(s, time_of_day)) return day + *t;
      }
      day -= days(1);
      time_of_day = kLastMinute;
    }
    return std::nullopt;
  }
};

CronSchedule CronSchedule::parse(const std::string& text) {
  // A schedule is a short line; a huge one is refused before its parts are echoed.
  if (text.size() > kQuotedValueMaxBytes)
    fail(text, "is " + std::to_string(text.size()) +
                   " bytes long — write 5 short fields \"minute hour day-of-month month day-of-week\" (e.g. \"0 4 * * *\")");
  std::vector<std::string> fields = split_fields(text);
  if (fields.empty()) {
    fail(text,
         "empty — write 5 fields \"minute hour day-of-month month day-of-week\" (e.g. \"0 4 * * *\") "
         "or @hourly, @daily, @weekly, @monthly, @yearly");
  }
  if (fields[0][0] == '@') {
    const std::string expanded = expand_macro(fields[0]);
    if (expanded.empty()) {
      fail(text,
           "unknown macro " + fields[0] + " — use @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually");
    }
    if (fields.size() != 1) fail(text, "a macro stands alone — write just " + fields[0]);
    fields = split_fields(expanded);
  }
  if (fields.size() != 5) {
    fail(text, std::to_string(fields.size()) + (fields.size() == 1 ? " field" : " fields") +
                   ", expected 5: minute hour day-of-month month day-of-week (e.g. \"0 4 * * MON\"; "
                   "seconds and years are not supported)");
  }

  CronSchedule s;
  s.text_ = text;
  s.minutes_ = parse_field(text, kFields[0], fields[0]);
  s.hours_ = static_cast<std::uint32_t>(parse_field(text, kFields[1], fields[1]));
  s.days_ = static_cast<std::uint32_t>(parse_field(text, kFields[2], fields[2]));
  s.months_ = static_cast<std::uint32_t>(parse_field(text, kFields[3], fields[3]));
  std::uint64_t weekdays = parse_field(text, kFields[4], fields[4]);
  if ((weekdays >> 7 & 1U) != 0) weekdays |= 1U;  // 7 is Sunday, as 0
  s.weekdays_ = static_cast<std::uint32_t>(weekdays & 0x7FU);
  s.day_star_ = fields[2][0] == '*';
  s.weekday_star_ = fields[4][0] == '*';

  // With the OR rule any weekday fires in every month. Otherwise a day of the month must
  // exist in one of the months (every date falls on every weekday within 400 years).
  if (s.day_star_ || s.weekday_star_) {
    bool fires = false;
    for (int month = 1; month <= 12 && !fires; ++month) {
      if ((s.months_ >> month & 1U) == 0) continue;
      fires = (s.days_ & ((std::uint64_t{1} << (kMaxDays[month] + 1)) - 1)) != 0;
    }
    if (!fires) {
      fail(text, "never fires: day-of-month \"" + fields[2] + "\" does not exist in month \"" + fields[3] +
                     "\" — pick a day the month has");
    }
  }
  return s;
}

TimePoint CronSchedule::next_after(TimePoint after, const date::time_zone* zone) const {
  zone = or_utc(zone);
  // Wall-clock minutes map to instants monotonically, so no fire after `after` lies before
  // the wall-clock minute of `after`: search forward from there.
  LocalMinutes wall = date::floor<minutes>(zone->to_local(after));
  const date::local_days last_day = date::floor<days>(wall) + kSearchSpan;
  while (true) {
    const auto match = CronSearch::next_match(*this, wall, last_day);
    if (!match) throw OperationError("schedule \"" + text_ + "\": no fire time within 400 years");
    const TimePoint fire = fire_instant(*match, zone);
    if (fire > after) return fire;
    wall = *match + minutes(1);  // an earlier occurrence, or a gap already fired
  }
}

std::optional<TimePoint> CronSchedule::previous_at_or_before(TimePoint at, const date::time_zone* zone,
                                                             hours horizon) const {
  zone = or_utc(zone);
  if (horizon < hours(0)) return std::nullopt;
  horizon = std::min(horizon, hours(24 * 366 * 100));
  const TimePoint lowest = at - horizon;

  // A wall-clock time later than `at`'s own can still have fired before `at` when the clocks
  // fell back shortly before: start the backward search that much later.
  const date::sys_info now = zone->get_info(at);
  minutes fallen_back(0);
  date::sys_info period = now;
  // Compared in seconds: the first period of a zone begins at date's minimum time, which
  // overflows nanoseconds.
  const auto two_days_before = date::floor<std::chrono::seconds>(at) - hours(48);
  for (int i = 0; i < 4 && period.begin > two_days_before; ++i) {
    period = zone->get_info(period.begin - std::chrono::seconds(1));
    fallen_back = std::max(fallen_back, date::ceil<minutes>(period.offset - now.offset));
  }

  LocalMinutes wall = date::floor<minutes>(zone->to_local(at)) + fallen_back;
  const date::local_days first_day = date::floor<days>(zone->to_local(lowest)) - days(2);
  while (true) {
    const auto match = CronSearch::previous_match(*this, wall, first_day);
    if (!match) return std::nullopt;
    const TimePoint fire = fire_instant(*match, zone);
    if (fire <= at) return fire >= lowest ? std::optional<TimePoint>(fire) : std::nullopt;
    wall = *match - minutes(1);
  }
}

}  // namespace bb
