// The web console's pure parts: HTML escaped by construction, its jobs' failure wording in the queue,
// the remedy wording.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "util/error.h"
#include "web/html.h"
#include "unit/job_wait.h"
#include "ops/jobs.h"
#include "web/console.h"
#include "web/texts.h"

namespace bb::web {
namespace {

TEST(WebHtmlTest, TextIsEscapedMarkupIsNot) {
  Html page;
  page << "<td>"_html << std::string("<img src=x onerror=alert(1)>") << "</td>"_html << "a & \"b\" 'c'";
  EXPECT_EQ(page.str(), "<td>&lt;img src=x onerror=alert(1)&gt;</td>a &amp; &quot;b&quot; &#39;c&#39;");
}

using testing_support::wait_for;

TEST(WebJobsTest, OneAtATimeInOrderWithPositionsProgressAndReasons) {
  JobQueue jobs(job_failure_wording);  // the wording the console gives its queue
  std::atomic<bool> release{false};
  std::string first = jobs.submit("restore", "ops", "a", [&](const ProgressCallback& progress) {
    progress(5, 10);
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return nlohmann::ordered_json{{"database", "a_archive"}};
  });
  std::string second = jobs.submit("restore", "ops", "b", [](const ProgressCallback&) -> nlohmann::ordered_json {
    throw OperationError("no backup 19990101T000000Z", Remedy::kSeeBackups);
  });
  auto running = wait_for(jobs, first, {"running"});
  EXPECT_EQ(running["state"], "running");
  auto queued = *jobs.describe(second);
  EXPECT_EQ(queued["state"], "queued");
  EXPECT_EQ(queued["position"], 1);
  // Progress shows while it runs.
  for (int i = 0; i < 500 && (*jobs.describe(first))["progress"]["done"] != 5; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ((*jobs.describe(first))["progress"]["total"], 10);
  release = true;
  auto done = wait_for(jobs, first, {"done", "failed"});
  EXPECT_EQ(done["state"], "done");
  EXPECT_EQ(done["result"]["database"], "a_archive");
  auto failed = wait_for(jobs, second, {"done", "failed"});
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_EQ(failed["reason"], "no backup 19990101T000000Z — the database's page lists the backups there are");
  EXPECT_FALSE(jobs.describe("0123456789abcdef0123456789abcdef").has_value());
  EXPECT_NE(first, second);
  EXPECT_EQ(first.size(), 32u);
}

TEST(WebTextsTest, EveryRemedyHasWebWordingWithoutFlags) {
  for (Remedy r : {Remedy::kChooseTargetName, Remedy::kShorterTargetName, Remedy::kRestoreWithoutDisk,
                   Remedy::kRestoreWithoutOwners, Remedy::kSeeBackups, Remedy::kSeeArchives,
                   Remedy::kIncludeOtherArchives, Remedy::kNameDatabases}) {
    std::string text = remedy_text(r);
    EXPECT_FALSE(text.empty());
    EXPECT_EQ(text.find("--"), std::string::npos) << text;
  }
  EXPECT_STREQ(texts_for("ru").sign_in, "Войти");
  EXPECT_STREQ(texts_for("en").sign_in, "Sign in");
}

// Texts is a table of phrases filled in order: a phrase added to the struct but missed in
// one language's list would be a null pointer on a page.
TEST(WebTextsTest, EveryPhraseInBothLanguages) {
  static_assert(sizeof(Texts) % sizeof(const char*) == 0, "Texts holds only phrases");
  for (const char* language : {"en", "ru"}) {
    const Texts& words = texts_for(language);
    const auto* phrases = reinterpret_cast<const char* const*>(&words);
    for (std::size_t i = 0; i < sizeof(Texts) / sizeof(const char*); ++i)
      EXPECT_TRUE(phrases[i] && *phrases[i]) << language << ": phrase " << i << " is missing";
  }
  EXPECT_STREQ(texts_for("ru").archives, "Архивы");
  EXPECT_STREQ(texts_for("en").rows_all_match, "{tables} tables, {rows} rows, all as in the backup");
}

}  // namespace
}  // namespace bb::web
