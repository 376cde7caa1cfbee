// The memberships read out of a stored `pg_dumpall --globals-only` script (for
// `restore --create-roles`): quoted names, the GRANTED BY / WITH tails of newer servers,
// and nothing else of the script.
#include "pg/roles.h"

#include <gtest/gtest.h>

#include "catalog/keys.h"

namespace bb {
namespace {

TEST(RoleMemberships, ReadsTheGrantLinesOfAGlobalsScript) {
  const std::string script =
      "--\n-- Roles\n--\n\n"
      "CREATE ROLE accounting;\n"
      "ALTER ROLE accounting WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN;\n"
      "CREATE ROLE \"Clerk \"\"A\"\"\";\n"
      "\n--\n-- Role memberships\n--\n\n"
      "GRANT accounting TO \"Clerk \"\"A\"\"\" GRANTED BY postgres;\n"
      "GRANT pg_read_all_data TO auditor WITH INHERIT TRUE GRANTED BY postgres;\n"
      "GRANT accounting TO clerk;\n"
      "GRANT SELECT ON t TO clerk;\n"  // not a role membership
      "GRANT accounting TO clerk; DROP ROLE x\n";  // anything after the statement: ignored
  std::vector<std::pair<std::string, std::string>> expected{{"accounting", "Clerk \"A\""},
                                                            {"pg_read_all_data", "auditor"},
                                                            {"accounting", "clerk"},
                                                            {"accounting", "clerk"}};
  EXPECT_EQ(parse_role_memberships(script), expected);
}

TEST(GlobalsKey, RoundTripsAndIsNoBackupKey) {
  EXPECT_EQ(globals_key("20261124T040000Z"), "_globals/20261124T040000Z.sql");
  EXPECT_EQ(parse_globals_key("_globals/20261124T040000Z.sql"), "20261124T040000Z");
  EXPECT_EQ(globals_key("20261124T040000Z", true), "_globals/20261124T040000Z.sql.age");
  EXPECT_EQ(parse_globals_key("_globals/20261124T040000Z.sql.age"), "20261124T040000Z");
  EXPECT_FALSE(parse_globals_key("_globals/20261124T040000Z.sql.zst"));
  EXPECT_FALSE(parse_globals_key("_globals/20261124T040000Z.json"));
  EXPECT_FALSE(parse_globals_key("_globals/notanid.sql"));
  EXPECT_FALSE(parse_key("_globals/20261124T040000Z.sql"));
}

}  // namespace
}  // namespace bb
