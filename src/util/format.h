// Human-readable sizes, durations and plain-text tables for terminal output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bb {

// Cut for values from outside (a config value, a key name) echoed in a message: a 10 MB
// value must not make a 20 MB error.
inline constexpr std::size_t kQuotedValueMaxBytes = 200;

// A name in double quotes for messages, with " and \ escaped and control characters as
// \xNN, so `bad "name"` reads "bad \"name\"" and never breaks a log line. A name longer
// than max_bytes is cut there (on a UTF-8 boundary): "abc"… (10485760 bytes).
std::string quote_name(const std::string& name, std::size_t max_bytes = std::string::npos);

// True when text holds a control character (below 0x20, or 0x7F): a newline, a tab, ESC.
bool has_control_characters(const std::string& text);

// Text for one table cell or one line of a chat message: as is, or quote_name(text) when
// it holds control characters (so `db<newline>line` shows as "db\x0Aline") or is longer
// than max_bytes.
std::string display_text(const std::string& text, std::size_t max_bytes = std::string::npos);

// 1536 -> "1.5 KiB"; 0 -> "0 B".
std::string human_bytes(std::uint64_t bytes);
// " (capped at 20.0 MiB/s)" for a rate cap in bytes/s; "" for 0 (no cap).
std::string rate_cap_note(std::uint64_t bytes_per_second);
// 72.4 -> "1 min 12 s"; 3.25 -> "3.2 s".
std::string human_seconds(double seconds);

// Fills a message template (bot messages, reports) in one pass: each {name} found in
// `text` is replaced by display_text(value); text inside a value is never filled again (a
// database named "{why}" stays so); unknown {names} stay as written.
std::string fill_placeholders(std::string_view text,
                              std::initializer_list<std::pair<std::string_view, std::string>> values);

// A plain text table with a header row; columns padded to their widest cell (UTF-8 aware).
// Every cell passes through display_text(), so a name with a newline cannot break a row.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);
  void add(std::vector<std::string> row);
  std::string render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace bb
