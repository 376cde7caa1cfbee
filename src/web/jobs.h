// The web console's job runner: restores and backups run one at a time, in order, on one
// worker thread; every job has an unguessable id, a state (queued, running, done, failed),
// its progress, and its result or the reason it failed. (The bot keeps its own queue for
// now; one queue shared by both, hosted in serve/, comes next.)
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "util/progress.h"
#include "util/time.h"

namespace bb::web {

// What a job does: runs, reporting progress; returns its result as JSON; throws on failure.
using JobWork = std::function<nlohmann::ordered_json(const ProgressCallback& progress)>;
// Words a failure for the user (the web's remedy wording).
using FailureWording = std::function<std::string(const std::exception&)>;

class JobRunner {
 public:
  explicit JobRunner(FailureWording wording);
  // Stops taking jobs, lets the running one end (it sees the process-wide cancellation), joins.
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Queues a job; returns its id. kind: "restore" or "backup".
  std::string submit(const std::string& kind, const std::string& user, const std::string& database, JobWork work);
  // {"id", "kind", "database", "user", "state", "position"?, "progress": {"done", "total"},
  // "result"? , "reason"?, "created", "finished"?}; nullopt for an unknown id.
  std::optional<nlohmann::ordered_json> describe(const std::string& id) const;

 private:
  struct Job {
    std::string id, kind, user, database;
    std::string state = "queued";
    std::uint64_t done = 0, total = 0;
    nlohmann::ordered_json result;
    std::string reason;
    TimePoint created{}, finished{};
    JobWork work;
  };
  void worker();

  FailureWording wording_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, Job> jobs_;
  std::deque<std::string> queue_;   // ids waiting, first runs next
  std::deque<std::string> finished_;  // ids of ended jobs, oldest first (the oldest are forgotten)
  bool stopping_ = false;
  std::thread thread_;
};

// 128 random bits as 32 hex digits (OpenSSL CSPRNG): job and session ids, CSRF tokens.
std::string random_token();

}  // namespace bb::web
