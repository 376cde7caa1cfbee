// TimePoint, the project's one time type, and the UTC text forms it is written in.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace bb {

using TimePoint = std::chrono::system_clock::time_point;

// True when s[from, from + count) exists and is all ASCII digits (for fixed-width dates).
bool all_digits(const std::string& s, std::size_t from, std::size_t count);
// The number those digits spell; call all_digits first.
int digits_value(const std::string& s, std::size_t from, std::size_t count);

// The UTC time of a calendar date and clock time; nullopt for an invalid date or time,
// and for years outside 1970..2200 (no backup's, and they would overflow the clock).
std::optional<TimePoint> utc_time(int year, int month, int day, int hour, int minute, int second);

// Compact ISO 8601 UTC with seconds, e.g. 20260903T040000Z (backup ids are written so).
std::string format_compact_utc(TimePoint time);
// Reverses format_compact_utc; nullopt for any other text.
std::optional<TimePoint> parse_compact_utc(const std::string& text);

// ISO 8601 UTC with seconds, e.g. 2026-11-24T04:00:00Z.
std::string format_iso_utc(TimePoint time);
// Reverses format_iso_utc; nullopt for any other text.
std::optional<TimePoint> parse_iso_utc(const std::string& text);
// format_iso_utc, or "" for no time (how the state file and --json write "never").
std::string format_iso_utc_or_empty(const std::optional<TimePoint>& time);

}  // namespace bb
