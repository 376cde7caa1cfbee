// Tests for cli/remedy: the command line's advice for each remedy, appended to the message.
#include "cli/remedy.h"

#include <gtest/gtest.h>

namespace bb {
namespace {

TEST(CliRemedy, EveryRemedyHasAdvice) {
  for (Remedy r : {Remedy::kChooseTargetName, Remedy::kShorterTargetName, Remedy::kRestoreWithoutDisk,
                   Remedy::kRestoreWithoutOwners, Remedy::kSeeBackups, Remedy::kSeeArchives,
                   Remedy::kIncludeOtherArchives, Remedy::kNameDatabases})
    EXPECT_FALSE(cli_remedy_text(r).empty()) << static_cast<int>(r);
  EXPECT_EQ(cli_remedy_text(Remedy::kNone), "");
}

TEST(CliRemedy, ErrorTextAppendsTheAdviceWithItsFlag) {
  OperationError e("refusing to restore into \"shop\": it is a configured source database ([[databases]])",
                   Remedy::kChooseTargetName);
  EXPECT_EQ(cli_error_text(e),
            "refusing to restore into \"shop\": it is a configured source database ([[databases]]) — choose another "
            "name with --into");
  EXPECT_EQ(std::string(e.what()).find("--into"), std::string::npos);  // the core's message names no flag
  EXPECT_EQ(cli_error_text(OperationError("plain")), "plain");
  EXPECT_EQ(cli_error_text(std::runtime_error("not ours")), "not ours");
}

}  // namespace
}  // namespace bb
