// The row check shared by restore and verify: which tables differ, how they are named,
// the summary line, and the subset a partial restore is judged on.
#include "ops/row_check.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace bb {
namespace {

const RowCounts kBackup{{{"public", "invoices"}, 120}, {{"public", "empty"}, 0}, {{"sales", "orders"}, 7}};

TEST(RowCheck, EqualCountsPassWithTablesAndRows) {
  RowCounts found = kBackup;
  found[{"public", "made_by_an_extension"}] = 5;  // not in the backup: not judged
  RowCheck check = compare_row_counts(kBackup, found);
  EXPECT_TRUE(check.checked);
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(check.tables, 3u);
  EXPECT_EQ(check.rows, 127u);
  EXPECT_EQ(row_check_summary(check), "3 tables, 127 rows, all as in the backup");
}

TEST(RowCheck, NamesEveryTableThatDiffersWithBothCounts) {
  RowCounts found{{{"public", "invoices"}, 119}, {{"public", "empty"}, 0}};
  RowCheck check = compare_row_counts(kBackup, found);
  EXPECT_FALSE(check.ok());
  ASSERT_EQ(check.mismatched.size(), 2u);
  EXPECT_EQ(describe_mismatches(check, "in the backup", "restored"),
            "\"public\".\"invoices\": 120 rows in the backup, 119 restored; "
            "\"sales\".\"orders\": 7 rows in the backup, the table is missing");
}

TEST(RowCheck, ABackupWithoutCountsIsNotCheckedAndSaysWhy) {
  RowCheck check = row_check_not_made("the backup has no row counts");
  EXPECT_TRUE(check.ok());
  EXPECT_FALSE(check.checked);
  EXPECT_EQ(row_check_summary(check), "not checked: the backup has no row counts");
}

TEST(RowCheck, APartialRestoreIsJudgedOnWhatItBrought) {
  EXPECT_EQ(restored_subset(kBackup, {}, {}), kBackup);
  RowCounts one = restored_subset(kBackup, {{"public", "invoices"}}, {});
  EXPECT_EQ(one, (RowCounts{{{"public", "invoices"}, 120}}));
  RowCounts schema = restored_subset(kBackup, {}, {"sales"});
  EXPECT_EQ(schema, (RowCounts{{{"sales", "orders"}, 7}}));
}

}  // namespace
}  // namespace bb

// Part of a database: the entries of a real `pg_restore --list --verbose` (PostgreSQL 15)
// that `restore --table` brings.
#include "ops/partial.h"

namespace bb {
namespace {

const char* kToc =
    ";\n; Archive created at 2026-12-01 10:00:00 UTC\n;\n"
    "5; 2615 16390 SCHEMA - stock postgres\n"
    "214; 1259 16391 TABLE public orders postgres\n"
    "215; 1259 16396 SEQUENCE public orders_id_seq postgres\n"
    "3330; 0 0 SEQUENCE OWNED BY public orders_id_seq postgres\n"
    ";\tdepends on: 215 214\n"
    "216; 1259 16400 TABLE stock items postgres\n"
    ";\tdepends on: 5\n"
    "3175; 2604 16397 DEFAULT public orders id postgres\n"
    ";\tdepends on: 215 214\n"
    "3320; 0 16391 TABLE DATA public orders postgres\n"
    ";\tdepends on: 214\n"
    "3321; 0 16400 TABLE DATA stock items postgres\n"
    ";\tdepends on: 216\n"
    "3331; 0 0 SEQUENCE SET public orders_id_seq postgres\n"
    ";\tdepends on: 215\n"
    "3178; 2606 16402 CONSTRAINT public orders orders_pkey postgres\n"
    ";\tdepends on: 214\n"
    "3179; 2606 16404 CONSTRAINT stock items items_pkey postgres\n"
    ";\tdepends on: 216\n"
    "3176; 1259 16405 INDEX public orders_what_idx postgres\n"
    ";\tdepends on: 214\n"
    "3180; 2606 16406 FK CONSTRAINT stock items items_order_fkey postgres\n"
    ";\tdepends on: 216 3178\n";

std::vector<int> ids(const std::string& list) {
  std::vector<int> out;
  for (const auto& e : parse_toc(list)) out.push_back(e.id);
  return out;
}

TEST(PartialRestore, ATableComesWithItsDataIndexesConstraintsAndSequence) {
  EXPECT_EQ(ids(partial_restore_list(kToc, {{"public", "orders"}}, {})),
            (std::vector<int>{214, 215, 3330, 3175, 3320, 3331, 3178, 3176}));
}

TEST(PartialRestore, AForeignKeyToATableLeftOutStaysOut) {
  EXPECT_EQ(ids(partial_restore_list(kToc, {{"stock", "items"}}, {})), (std::vector<int>{5, 216, 3321, 3179}));
}

TEST(PartialRestore, ASchemaBringsItsObjects) {
  std::vector<int> got = ids(partial_restore_list(kToc, {}, {"stock"}));
  EXPECT_EQ(got, (std::vector<int>{5, 216, 3321, 3179}));  // not the foreign key to public.orders
}

TEST(PartialRestore, AnUnknownTableIsNamed) {
  try {
    partial_restore_list(kToc, {{"public", "nope"}}, {});
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("\"public\".\"nope\""), std::string::npos);
  }
  EXPECT_EQ(parse_table_name("sales.orders"), std::make_pair(std::string("sales"), std::string("orders")));
  EXPECT_EQ(parse_table_name("orders"), std::make_pair(std::string("public"), std::string("orders")));
}

}  // namespace
}  // namespace bb
