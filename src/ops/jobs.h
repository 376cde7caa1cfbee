// The job queue shared by the front ends of one process (the web console and the Telegram
// bot, hosted together by `serve`): restores and backups run one at a time, in order, on
// one worker thread; every job has an unguessable id, a state (queued, running, done,
// failed), its progress, its place in line while it waits, and its result or the reason it
// failed. A front end can follow a job (moved up in line / started / progress / finished
// callbacks, called on the worker thread). The oldest finished jobs are forgotten.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "util/progress.h"
#include "util/time.h"

namespace bb {

// What a job does: runs, reporting progress; returns its result as JSON; throws on failure.
using JobWork = std::function<nlohmann::ordered_json(const ProgressCallback& progress)>;
// Words a failure for the user (e.g. the web's remedy wording).
using FailureWording = std::function<std::string(const std::exception&)>;

// How a job ended, as its follower hears it.
struct JobEnd {
  bool ok = false;
  nlohmann::ordered_json result;  // ok
  std::string reason;             // not ok: the worded failure
};

// Callbacks that follow one job; each (when set) is called on the worker thread, never
// while the queue is locked, so a callback may submit or describe jobs.
struct JobFollower {
  // The job still waits, now at this place in line (a job ahead of it started; called
  // after that job's started callback).
  std::function<void(std::size_t position)> moved;
  std::function<void()> started;
  ProgressCallback progress;
  std::function<void(const JobEnd&)> finished;
};

// The message of the exception, secrets masked: the wording when no other is given.
std::string plain_failure_wording(const std::exception& error);

class JobQueue {
 public:
  explicit JobQueue(FailureWording wording = plain_failure_wording);
  // Stops taking jobs and lets the running one end (it sees the process-wide cancellation);
  // every job still waiting then fails with "stopped before it started" (its finished
  // callback is called) without running; joins the worker.
  ~JobQueue();
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Queues a job; returns its id. kind: "restore", "backup", ... (shown as given).
  std::string submit(const std::string& kind, const std::string& user, const std::string& database, JobWork work,
                     JobFollower follower = {});
  // {"id", "kind", "database", "user", "state", "position"?, "progress": {"done", "total"},
  // "result"? , "reason"?, "created", "finished"?}; nullopt for an unknown id.
  std::optional<nlohmann::ordered_json> describe(const std::string& id) const;
  // A waiting job's place in line (1: runs after the running job); 0 when it runs, starts
  // now (first in line and nothing runs), has ended or is unknown.
  std::size_t position(const std::string& id) const;
  // Takes a job that has not started out of the line and forgets it (its finished callback
  // is not called); false when it already runs, has ended or is unknown.
  bool withdraw(const std::string& id);

 private:
  struct Job {
    std::string id, kind, user, database;
    std::string state = "queued";
    std::uint64_t done = 0, total = 0;
    nlohmann::ordered_json result;
    std::string reason;
    TimePoint created{}, finished{};
    JobWork work;
    JobFollower follower;
  };
  using MovedCallback = std::function<void(std::size_t)>;
  void worker();
  // Runs one job outside the lock (id was taken from the line); tells the waiting jobs'
  // followers their new places once its started callback returned.
  void run(const std::string& id, const std::vector<std::pair<MovedCallback, std::size_t>>& moved);
  // Records how a job ended and calls its finished callback.
  void finish(const std::string& id, JobEnd end);

  FailureWording wording_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, Job> jobs_;
  std::deque<std::string> queue_;     // ids waiting, first runs next
  std::deque<std::string> finished_;  // ids of ended jobs, oldest first (the oldest are forgotten)
  bool stopping_ = false;
  bool busy_ = false;  // a job runs
  std::thread thread_;
};

// 128 random bits as 32 hex digits (OpenSSL CSPRNG): job and session ids, CSRF tokens.
std::string random_token();

}  // namespace bb
