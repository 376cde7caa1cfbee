// Times typed by users for `restore --at`, interpreted in the configured zone.
#include "util/timezone.h"

#include <gtest/gtest.h>

#include "catalog/keys.h"
#include "util/error.h"

namespace bb {
namespace {

TEST(Timezone, Forms) {
  const auto* moscow = resolve_zone("Europe/Moscow");  // UTC+3, no DST
  EXPECT_EQ(format_iso_utc(parse_user_time("20260903T040000Z", moscow)), "2026-09-03T04:00:00Z");
  EXPECT_EQ(format_iso_utc(parse_user_time("2026-09-03T04:00:00Z", moscow)), "2026-09-03T04:00:00Z");
  EXPECT_EQ(format_iso_utc(parse_user_time("2026-09-03 14:00", moscow)), "2026-09-03T11:00:00Z");
  EXPECT_EQ(format_iso_utc(parse_user_time("03.09.2026 14:00", moscow)), "2026-09-03T11:00:00Z");
  EXPECT_EQ(format_iso_utc(parse_user_time("2026-09-03T14:00+05:00", moscow)), "2026-09-03T09:00:00Z");
  // A date alone means the end of that day, in the zone.
  EXPECT_EQ(format_iso_utc(parse_user_time("2026-09-03", moscow)), "2026-09-03T20:59:59Z");
  EXPECT_EQ(format_iso_utc(parse_user_time("03.09.2026", moscow)), "2026-09-03T20:59:59Z");
}

TEST(Timezone, DstGapTakesTheNextValidInstant) {
  const auto* berlin = resolve_zone("Europe/Berlin");
  // 2026-03-29 02:30 does not exist in Berlin (clocks jump 02:00 -> 03:00 CEST = 01:00Z).
  EXPECT_EQ(format_iso_utc(parse_user_time("2026-03-29 02:30", berlin)), "2026-03-29T01:00:00Z");
}

TEST(Timezone, BadInputNamesTheAcceptedForms) {
  const auto* utc = resolve_zone("UTC");
  try {
    parse_user_time("yesterday", utc);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("2026-09-03 14:00"), std::string::npos);
  }
  EXPECT_THROW(parse_user_time("2026-02-30", utc), ConfigError);
  EXPECT_THROW(resolve_zone("Mars/Olympus"), ConfigError);
}

TEST(Timezone, FormatLocal) {
  EXPECT_EQ(format_local(*parse_backup_id("20260902T213000Z"), resolve_zone("Europe/Moscow")), "2026-09-03 00:30");
}

}  // namespace
}  // namespace bb
