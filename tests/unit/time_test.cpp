// TimePoint's UTC text forms: the compact form backup ids are written in, and ISO 8601.
#include "util/time.h"

#include <gtest/gtest.h>

namespace bb {
namespace {

TEST(Time, CompactRoundTrip) {
  auto t = parse_compact_utc("20260903T040000Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_compact_utc(*t), "20260903T040000Z");
  EXPECT_EQ(format_iso_utc(*t), "2026-09-03T04:00:00Z");
  EXPECT_EQ(*t, *utc_time(2026, 9, 3, 4, 0, 0));
}

TEST(Time, CompactRejectsOtherText) {
  EXPECT_FALSE(parse_compact_utc("20260231T040000Z"));   // 31 February
  EXPECT_FALSE(parse_compact_utc("20260903T240000Z"));   // hour 24
  EXPECT_FALSE(parse_compact_utc("20260903T040060Z"));   // second 60
  EXPECT_FALSE(parse_compact_utc("20260903T040000"));    // no Z
  EXPECT_FALSE(parse_compact_utc("2026-09-03T04:00:00Z"));
  EXPECT_FALSE(parse_compact_utc("20260903T04000+Z"));
  EXPECT_FALSE(parse_compact_utc("99991231T235959Z"));   // beyond the clock
  EXPECT_FALSE(parse_compact_utc(""));
}

TEST(Time, UtcTimeBounds) {
  EXPECT_TRUE(utc_time(1970, 1, 1, 0, 0, 0));
  EXPECT_TRUE(utc_time(2200, 12, 31, 23, 59, 59));
  EXPECT_FALSE(utc_time(1969, 12, 31, 23, 59, 59));
  EXPECT_FALSE(utc_time(2201, 1, 1, 0, 0, 0));
  EXPECT_FALSE(utc_time(2024, 2, 30, 0, 0, 0));
  EXPECT_FALSE(utc_time(2024, 1, 1, -1, 0, 0));
  EXPECT_TRUE(utc_time(2024, 2, 29, 12, 0, 0));  // leap day
}

TEST(Time, IsoDropsFractions) {
  auto t = *utc_time(2026, 11, 24, 4, 0, 0) + std::chrono::milliseconds(999);
  EXPECT_EQ(format_iso_utc(t), "2026-11-24T04:00:00Z");
  EXPECT_EQ(format_compact_utc(t), "20261124T040000Z");
}

TEST(Time, IsoRoundTripAndRejects) {
  auto t = utc_time(2026, 12, 1, 4, 5, 6);
  ASSERT_TRUE(t);
  EXPECT_EQ(parse_iso_utc(format_iso_utc(*t)), t);
  EXPECT_EQ(format_iso_utc_or_empty(t), "2026-12-01T04:05:06Z");
  EXPECT_EQ(format_iso_utc_or_empty(std::nullopt), "");
  for (const char* bad : {"", "2026-12-01", "2026-12-01T04:05:06", "2026-13-01T04:05:06Z", "2026-12-01 04:05:06Z",
                          "yesterday-ish", "2026-12-01T04:05:60Z", "+026-12-01T04:05:06Z"})
    EXPECT_FALSE(parse_iso_utc(bad)) << bad;
}

}  // namespace
}  // namespace bb
