// HTML escaped by construction: markup enters an Html only as a literal ("<td>"_html);
// every std::string appended is text and is escaped (& < > " '), so a database named
// <img src=x onerror=alert(1)> is shown as those characters, never as markup.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "util/time.h"

namespace bb::web {

// & < > " ' as entities; the rest as is.
std::string escape_html(std::string_view text);

// A time as the pages show it: "2026-11-24 13:08" (UTC).
std::string format_time(TimePoint t);

class Html {
 public:
  Html() = default;
  // Markup from a string literal only (see operator""_html).
  struct Literal {
    std::string_view markup;
  };
  explicit Html(Literal literal) : out_(literal.markup) {}

  Html& operator<<(Literal markup) {
    out_.append(markup.markup);
    return *this;
  }
  Html& operator<<(const Html& other) {
    out_ += other.out_;
    return *this;
  }
  // Text: escaped.
  Html& operator<<(std::string_view text) {
    out_ += escape_html(text);
    return *this;
  }
  Html& operator<<(const std::string& text) { return *this << std::string_view(text); }
  Html& operator<<(const char* text) { return *this << std::string_view(text); }
  Html& operator<<(std::size_t number) {
    out_ += std::to_string(number);
    return *this;
  }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

inline Html::Literal operator""_html(const char* markup, std::size_t size) {
  return Html::Literal{std::string_view(markup, size)};
}

}  // namespace bb::web
