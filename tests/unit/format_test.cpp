// Tests of util/format.h: quoting names for messages, display text for tables and chat
// messages, and the plain-text table.
#include "util/format.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace bb {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(Format, QuoteNameEscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(quote_name("plain"), "\"plain\"");
  EXPECT_EQ(quote_name("bad \"name\""), "\"bad \\\"name\\\"\"");
  EXPECT_EQ(quote_name("back\\slash"), "\"back\\\\slash\"");
  EXPECT_EQ(quote_name("db\nline\t\x1b[31m\x7f"), "\"db\\x0Aline\\x09\\x1B[31m\\x7F\"");
  EXPECT_EQ(quote_name("Кириллица 🦔"), "\"Кириллица 🦔\"");
}

TEST(Format, QuoteNameCutsLongValuesOnACharacterBoundary) {
  std::string huge(10'000'000, 'x');
  std::string q = quote_name(huge, kQuotedValueMaxBytes);
  EXPECT_LT(q.size(), 300u);
  EXPECT_EQ(q, "\"" + std::string(kQuotedValueMaxBytes, 'x') + "\"… (10000000 bytes)");
  // "я" is two bytes: a cut at 3 bytes keeps one whole letter, never half of one.
  EXPECT_EQ(quote_name("яяя", 3), "\"я\"… (6 bytes)");
  EXPECT_EQ(quote_name("short", kQuotedValueMaxBytes), "\"short\"");
  EXPECT_EQ(quote_name(std::string(200, 'y'), 200), "\"" + std::string(200, 'y') + "\"");  // exactly at the bound
}

TEST(Format, DisplayTextQuotesOnlyWhenNeeded) {
  EXPECT_EQ(display_text("buh2_db"), "buh2_db");
  EXPECT_EQ(display_text("sp ace \"q\" Ёж"), "sp ace \"q\" Ёж");
  EXPECT_EQ(display_text("db\nline"), "\"db\\x0Aline\"");
  EXPECT_EQ(display_text("tab\there"), "\"tab\\x09here\"");
  EXPECT_EQ(display_text("\r"), "\"\\x0D\"");
  EXPECT_EQ(display_text(std::string(300, 'z'), 10), "\"zzzzzzzzzz\"… (300 bytes)");
  EXPECT_FALSE(has_control_characters("Кириллица 🦔 \"quoted\""));
  EXPECT_TRUE(has_control_characters(std::string("nul\0byte", 8)));
}

TEST(Format, TableCellsWithControlCharactersCannotBreakARow) {
  TextTable table({"DATABASE", "RESULT"});
  table.add({"db\nline", "ok"});
  table.add({"tab\there", "FAILED"});
  table.add({"plain", "ok"});
  auto lines = lines_of(table.render());
  ASSERT_EQ(lines.size(), 4u) << table.render();
  EXPECT_EQ(lines[1], "\"db\\x0Aline\"   ok");
  EXPECT_EQ(lines[2], "\"tab\\x09here\"  FAILED");
  EXPECT_EQ(lines[3], "plain          ok");
}

}  // namespace
}  // namespace bb
