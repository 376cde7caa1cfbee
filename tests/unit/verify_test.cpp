// The COPY row counter that reads pg_restore's SQL output (at backup time and in verify):
// quoted identifiers, the end-of-data marker, any chunking, truncation.
#include "ops/verify.h"

#include <gtest/gtest.h>

namespace bb {
namespace {

const char* kScript =
    "--\n-- PostgreSQL database dump\n--\n"
    "COPY public.invoices (id, total) FROM stdin;\n1\t10.5\n2\t\\N\n3\t7\n\\.\n\n"
    "COPY \"учёт\".\"Order Lines \"\"2024\"\"\" (id) FROM stdin;\n\\\\.x\n\\.\n"
    "COPY public.empty (id) FROM stdin;\n\\.\n"
    "SELECT pg_catalog.setval('public.s', 42, true);\n";

RowCounts count(const std::string& text, std::size_t chunk) {
  CopyRowCounter c;
  for (std::size_t i = 0; i < text.size(); i += chunk) c.feed(text.data() + i, std::min(chunk, text.size() - i));
  EXPECT_TRUE(c.complete());
  return c.counts();
}

TEST(CopyRowCounter, CountsRowsPerTableWhateverTheChunking) {
  RowCounts expected{{{"public", "invoices"}, 3}, {{"учёт", "Order Lines \"2024\""}, 1}, {{"public", "empty"}, 0}};
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u, 100000u}) EXPECT_EQ(count(kScript, chunk), expected) << chunk;
}

TEST(CopyRowCounter, AScriptCutInsideADataBlockIsIncomplete) {
  std::string text = "COPY public.t (x) FROM stdin;\n1\n2\n";
  CopyRowCounter c;
  c.feed(text.data(), text.size());
  EXPECT_FALSE(c.complete());
}

TEST(CopyRowCounter, LongRowsNeedNoMemory) {
  std::string row(5'000'000, 'x');
  std::string text = "COPY public.big (b) FROM stdin;\n" + row + "\n" + row + "\n\\.\n";
  EXPECT_EQ(count(text, 65536), (RowCounts{{{"public", "big"}, 2}}));
}

TEST(CopyHeader, ParsesQuotedAndBareNames) {
  EXPECT_EQ(parse_copy_header("COPY public.t (a, b) FROM stdin;"), std::make_pair(std::string("public"), std::string("t")));
  EXPECT_EQ(parse_copy_header("COPY \"a.b\".\"c \"\"d\"\"\" (x) FROM stdin;"),
            std::make_pair(std::string("a.b"), std::string("c \"d\"")));
  EXPECT_FALSE(parse_copy_header("COPY public.t TO stdout;"));
  EXPECT_FALSE(parse_copy_header("SELECT 1;"));
  EXPECT_FALSE(parse_copy_header("COPY \"unterminated (x) FROM stdin;"));
}

}  // namespace
}  // namespace bb
