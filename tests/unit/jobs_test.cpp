// The job queue the bot and the web console share (ops/jobs.h): order, one job at a time,
// places in line, failure wording, followers, withdrawal and shutdown with jobs waiting.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "unit/job_wait.h"
#include "ops/jobs.h"
#include "util/error.h"

namespace bb {
namespace {

using ojson = nlohmann::ordered_json;

// A gate a job waits at until the test opens it.
class Gate {
 public:
  void open() {
    std::lock_guard g(m_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock g(m_);
    cv_.wait(g, [&] { return open_; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool open_ = false;
};

using testing_support::wait_for;

TEST(JobQueueTest, RunsOneAtATimeInOrderAndTellsPlacesInLine) {
  JobQueue jobs;
  Gate gate;
  std::mutex m;
  std::vector<std::string> ran;
  std::atomic<int> running{0};
  std::atomic<int> most_at_once{0};
  auto job = [&](std::string name, bool wait) {
    return [&, name, wait](const ProgressCallback&) {
      int now = ++running;
      most_at_once = std::max(most_at_once.load(), now);
      if (wait) gate.wait();
      {
        std::lock_guard g(m);
        ran.push_back(name);
      }
      --running;
      return ojson{{"name", name}};
    };
  };
  std::string a = jobs.submit("restore", "telegram:1", "a", job("a", true));
  std::string b = jobs.submit("restore", "ops", "b", job("b", false));
  std::string c = jobs.submit("backup", "ops", "c", job("c", false));
  EXPECT_EQ(wait_for(jobs, a, {"running"})["state"], "running");
  EXPECT_EQ(jobs.position(a), 0u);
  EXPECT_EQ(jobs.position(b), 1u);
  EXPECT_EQ(jobs.position(c), 2u);
  EXPECT_EQ((*jobs.describe(c))["position"], 2);
  EXPECT_EQ((*jobs.describe(b))["state"], "queued");
  gate.open();
  EXPECT_EQ(wait_for(jobs, c, {"done", "failed"})["state"], "done");
  EXPECT_EQ(wait_for(jobs, a, {"done"})["result"]["name"], "a");
  EXPECT_EQ(ran, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(most_at_once, 1);
  EXPECT_EQ(jobs.position(c), 0u);
  EXPECT_EQ(jobs.position("0123456789abcdef0123456789abcdef"), 0u);
  EXPECT_FALSE((*jobs.describe(c)).contains("position"));
}

TEST(JobQueueTest, AThrowingJobFailsWithTheWordedReasonAndTheNextStillRuns) {
  JobQueue jobs([](const std::exception& e) { return std::string("worded: ") + e.what(); });
  std::string bad = jobs.submit("restore", "ops", "a", [](const ProgressCallback&) -> ojson {
    throw OperationError("no backup 19990101T000000Z", Remedy::kSeeBackups);
  });
  std::string odd = jobs.submit("restore", "ops", "a", [](const ProgressCallback&) -> ojson { throw 42; });
  std::string good = jobs.submit("backup", "ops", "b", [](const ProgressCallback& progress) {
    progress(3, 4);
    return ojson{{"ok", true}};
  });
  auto failed = wait_for(jobs, bad, {"done", "failed"});
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_EQ(failed["reason"], "worded: no backup 19990101T000000Z");
  EXPECT_FALSE(failed.contains("result"));
  EXPECT_TRUE(failed.contains("finished"));
  EXPECT_EQ(wait_for(jobs, odd, {"done", "failed"})["state"], "failed");
  auto done = wait_for(jobs, good, {"done", "failed"});
  EXPECT_EQ(done["state"], "done");
  EXPECT_EQ(done["progress"]["done"], 4);  // a finished job shows all of its total done
  EXPECT_EQ(done["progress"]["total"], 4);
  EXPECT_FALSE(done.contains("reason"));
}

TEST(JobQueueTest, FollowersHearStartProgressAndEndOnTheWorkerThread) {
  JobQueue jobs;
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> heard;
  std::thread::id worker_thread;
  bool ended = false;
  JobFollower follower;
  follower.started = [&] {
    std::lock_guard g(m);
    heard.push_back("started");
    worker_thread = std::this_thread::get_id();
  };
  follower.progress = [&](std::uint64_t done, std::uint64_t total) {
    std::lock_guard g(m);
    heard.push_back("progress " + std::to_string(done) + "/" + std::to_string(total));
  };
  follower.finished = [&](const JobEnd& end) {
    std::lock_guard g(m);
    heard.push_back(std::string("finished ") + (end.ok ? "ok " : "failed ") + end.result.dump() + end.reason);
    EXPECT_EQ(std::this_thread::get_id(), worker_thread);
    ended = true;
    cv.notify_all();
  };
  jobs.submit(
      "restore", "telegram:7", "a",
      [](const ProgressCallback& progress) {
        progress(1, 2);
        return ojson{{"database", "a_archive"}};
      },
      follower);
  std::unique_lock g(m);
  ASSERT_TRUE(cv.wait_for(g, std::chrono::seconds(5), [&] { return ended; }));
  EXPECT_NE(worker_thread, std::this_thread::get_id());
  EXPECT_EQ(heard, (std::vector<std::string>{"started", "progress 1/2", "finished ok {\"database\":\"a_archive\"}"}));
}

TEST(JobQueueTest, WaitingJobsHearTheirNewPlaceWhenAJobAheadStarts) {
  JobQueue jobs;
  Gate first_gate, second_gate;
  std::mutex m;
  std::vector<std::string> heard;
  auto blocking = [](Gate& gate) {
    return [&gate](const ProgressCallback&) {
      gate.wait();
      return ojson::object();
    };
  };
  auto follow = [&](std::string name) {
    JobFollower f;
    f.moved = [&, name](std::size_t position) {
      std::lock_guard g(m);
      heard.push_back(name + " now " + std::to_string(position));
    };
    return f;
  };
  std::string a = jobs.submit("restore", "ops", "a", blocking(first_gate));
  wait_for(jobs, a, {"running"});
  std::string b = jobs.submit("restore", "telegram:1", "b", blocking(second_gate), follow("b"));
  std::string c = jobs.submit("backup", "ops", "c", [](const ProgressCallback&) { return ojson::object(); },
                              follow("c"));
  EXPECT_EQ(jobs.position(c), 2u);
  first_gate.open();
  EXPECT_EQ(wait_for(jobs, b, {"running"})["state"], "running");
  {
    std::lock_guard g(m);
    EXPECT_EQ(heard, std::vector<std::string>{"c now 1"});  // b started: it is no longer waiting
  }
  second_gate.open();
  EXPECT_EQ(wait_for(jobs, c, {"done"})["state"], "done");
}

TEST(JobQueueTest, AWaitingJobCanBeWithdrawnARunningOneCannot) {
  JobQueue jobs;
  Gate gate;
  std::atomic<bool> second_ran{false};
  std::string first = jobs.submit("restore", "ops", "a", [&](const ProgressCallback&) {
    gate.wait();
    return ojson::object();
  });
  std::string second = jobs.submit("restore", "ops", "b", [&](const ProgressCallback&) {
    second_ran = true;
    return ojson::object();
  });
  wait_for(jobs, first, {"running"});
  EXPECT_FALSE(jobs.withdraw(first));
  EXPECT_TRUE(jobs.withdraw(second));
  EXPECT_FALSE(jobs.describe(second).has_value());
  EXPECT_FALSE(jobs.withdraw(second));
  gate.open();
  EXPECT_EQ(wait_for(jobs, first, {"done"})["state"], "done");
  std::string third = jobs.submit("backup", "ops", "c", [](const ProgressCallback&) { return ojson::object(); });
  EXPECT_EQ(wait_for(jobs, third, {"done"})["state"], "done");
  EXPECT_FALSE(second_ran);
}

TEST(JobQueueTest, StoppingLetsTheRunningJobEndAndFailsTheWaitingOnesWithoutRunningThem) {
  Gate gate;
  std::atomic<bool> first_done{false};
  std::atomic<bool> waiting_ran{false};
  std::mutex m;
  std::vector<std::string> reasons;
  std::thread opener;
  {
    JobQueue jobs;
    std::string first = jobs.submit("restore", "ops", "a", [&](const ProgressCallback&) {
      gate.wait();
      first_done = true;
      return ojson::object();
    });
    JobFollower follower;
    follower.finished = [&](const JobEnd& end) {
      std::lock_guard g(m);
      reasons.push_back(end.ok ? "ok" : end.reason);
    };
    for (int i = 0; i < 2; ++i)
      jobs.submit(
          "restore", "ops", "b",
          [&](const ProgressCallback&) {
            waiting_ran = true;
            return ojson::object();
          },
          follower);
    wait_for(jobs, first, {"running"});
    opener = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      gate.open();
    });
  }  // the destructor waits for the running job
  opener.join();
  EXPECT_TRUE(first_done);
  EXPECT_FALSE(waiting_ran);
  ASSERT_EQ(reasons.size(), 2u);
  EXPECT_EQ(reasons[0], "stopped before it started: BackupBuddy is shutting down");
}

}  // namespace
}  // namespace bb
