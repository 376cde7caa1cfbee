// Human-readable sizes, durations and plain-text tables for terminal output.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bb {

// A name in double quotes for messages, with " and \ escaped and control characters as
// \xNN, so `bad "name"` reads "bad \"name\"" and never breaks a log line.
std::string quote_name(const std::string& name);

// 1536 -> "1.5 KiB"; 0 -> "0 B".
std::string human_bytes(std::uint64_t bytes);
// 72.4 -> "1 min 12 s"; 3.25 -> "3.2 s".
std::string human_seconds(double seconds);

// Fills a message template in one pass: each {name} found in `text` is replaced by its
// value; text inside a value is never filled again (a database named "{why}" stays so);
// unknown {names} stay as written.
std::string fill_placeholders(std::string_view text,
                              std::initializer_list<std::pair<std::string_view, std::string_view>> values);

// A plain text table with a header row; columns padded to their widest cell (UTF-8 aware).
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);
  void add(std::vector<std::string> row);
  std::string render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace bb
