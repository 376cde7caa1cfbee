// Time zones (date/tz.h over the system tzdata) and the times users type.
#pragma once

#include <string>

#include "util/time.h"

namespace date {
class time_zone;
}

namespace bb {

// The zone of [backup] timezone, or the machine's zone when name is empty (UTC when the
// machine has none). Throws ConfigError for an unknown IANA name.
const date::time_zone* resolve_zone(const std::string& name);

// A time typed by a user, for `restore --at`: a backup id (20260903T040000Z), ISO 8601
// with Z or an offset, or a wall-clock time in `zone`: "2026-09-03 14:00[:SS]",
// "2026-09-03T14:00", "03.09.2026 14:00". A date alone ("2026-09-03", "03.09.2026")
// means the END of that day: "as it was on the 3rd" is the last backup of the 3rd.
// Throws ConfigError (usage) naming the accepted forms.
TimePoint parse_user_time(const std::string& text, const date::time_zone* zone);

// "2026-09-03 04:00" in the zone (for tables and messages).
std::string format_local(TimePoint time, const date::time_zone* zone);

}  // namespace bb
