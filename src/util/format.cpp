// Human-readable formatting.
#include "util/format.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string_view>

namespace bb {
namespace {

std::size_t display_width(const std::string& s) {
  std::size_t w = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++w;  // count UTF-8 lead bytes only
  return w;
}

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

}  // namespace

std::string quote_name(const std::string& name, std::size_t max_bytes) {
  std::size_t shown = name.size();
  if (shown > max_bytes) {
    shown = max_bytes;
    while (shown > 0 && (static_cast<unsigned char>(name[shown]) & 0xC0) == 0x80) --shown;  // not inside a character
  }
  std::string out = "\"";
  for (unsigned char c : std::string_view(name).substr(0, shown)) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (is_control(c)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (shown < name.size()) out += "… (" + std::to_string(name.size()) + " bytes)";
  return out;
}

bool has_control_characters(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return is_control(static_cast<unsigned char>(c)); });
}

std::string display_text(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes && !has_control_characters(text)) return text;
  return quote_name(text, max_bytes);
}

std::string human_bytes(std::uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else std::snprintf(buf, sizeof buf, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

std::string human_seconds(double seconds) {
  char buf[48];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.1f s", seconds);
  } else if (seconds < 3600) {
    int s = static_cast<int>(seconds + 0.5);
    std::snprintf(buf, sizeof buf, "%d min %d s", s / 60, s % 60);
  } else {
    int m = static_cast<int>(seconds / 60 + 0.5);
    std::snprintf(buf, sizeof buf, "%d h %d min", m / 60, m % 60);
  }
  return buf;
}

TextTable::TextTable(std::vector<std::string> header) { rows_.push_back(std::move(header)); }

void TextTable::add(std::vector<std::string> row) {
  for (auto& cell : row) cell = display_text(cell);
  rows_.push_back(std::move(row));
}

std::string TextTable::render() const {
  std::vector<std::size_t> widths;
  for (const auto& row : rows_)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  std::ostringstream out;
  for (const auto& row : rows_) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - display_width(row[i]) + 2, ' ');
    }
    out << line << '\n';
  }
  return out.str();
}

std::string fill_placeholders(std::string_view text,
                              std::initializer_list<std::pair<std::string_view, std::string>> values) {
  std::string out;
  out.reserve(text.size() + 64);
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '{') {
      std::size_t close = text.find('}', i);
      if (close != std::string_view::npos) {
        std::string_view name = text.substr(i + 1, close - i - 1);
        const auto* match = std::find_if(values.begin(), values.end(), [&](const auto& v) { return v.first == name; });
        if (match != values.end()) {
          out += display_text(match->second);
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

std::string rate_cap_note(std::uint64_t bytes_per_second) {
  return bytes_per_second ? " (capped at " + human_bytes(bytes_per_second) + "/s)" : std::string();
}

}  // namespace bb
