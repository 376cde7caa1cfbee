// escape_html.
#include "web/html.h"

namespace bb::web {

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_time(TimePoint t) {
  std::string iso = format_iso_utc(t);  // 2026-11-24T13:08:00Z
  if (iso.size() >= 16) return iso.substr(0, 10) + " " + iso.substr(11, 5);
  return iso;
}

}  // namespace bb::web
