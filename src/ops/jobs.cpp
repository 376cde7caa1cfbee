// The one-at-a-time job queue shared by the web console and the bot (see jobs.h).
#include "ops/jobs.h"

#include <openssl/rand.h>

#include <utility>
#include <vector>

#include "util/error.h"
#include "util/log.h"

namespace bb {
namespace {
constexpr std::size_t kFinishedJobsKept = 200;
}

std::string random_token() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw OperationError("RAND_bytes failed — check the OpenSSL 3 installation");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

std::string plain_failure_wording(const std::exception& error) { return log::mask_secrets(error.what()); }

JobQueue::JobQueue(FailureWording wording) : wording_(std::move(wording)), thread_([this] { worker(); }) {}

JobQueue::~JobQueue() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::string JobQueue::submit(const std::string& kind, const std::string& user, const std::string& database,
                             JobWork work, JobFollower follower) {
  Job job;
  job.id = random_token();
  job.kind = kind;
  job.user = user;
  job.database = database;
  job.created = std::chrono::system_clock::now();
  job.work = std::move(work);
  job.follower = std::move(follower);
  std::string id = job.id;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw CancelledError();
    jobs_.emplace(id, std::move(job));
    queue_.push_back(id);
  }
  wake_.notify_all();
  return id;
}

std::optional<nlohmann::ordered_json> JobQueue::describe(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  const Job& j = it->second;
  nlohmann::ordered_json out{{"id", j.id}, {"kind", j.kind}, {"database", j.database}, {"user", j.user},
                             {"state", j.state}};
  if (j.state == "queued") {
    std::size_t position = 1;
    for (const auto& q : queue_) {
      if (q == id) break;
      ++position;
    }
    out["position"] = position;  // 1: runs next
  }
  out["progress"] = {{"done", j.done}, {"total", j.total}};
  if (j.state == "done") out["result"] = j.result;
  if (j.state == "failed") out["reason"] = j.reason;
  out["created"] = format_iso_utc(j.created);
  if (j.state == "done" || j.state == "failed") out["finished"] = format_iso_utc(j.finished);
  return out;
}

std::size_t JobQueue::position(const std::string& id) const {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < queue_.size(); ++i)
    if (queue_[i] == id) return i == 0 && !busy_ ? 0 : i + 1;
  return 0;
}

bool JobQueue::withdraw(const std::string& id) {
  std::lock_guard lock(mutex_);
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (*it != id) continue;
    queue_.erase(it);
    jobs_.erase(id);
    return true;
  }
  return false;
}

void JobQueue::worker() {
  for (;;) {
    std::string id;
    std::vector<std::pair<MovedCallback, std::size_t>> moved;  // every waiting job moves up
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
      id = queue_.front();
      queue_.pop_front();
      jobs_.at(id).state = "running";
      busy_ = true;
      for (std::size_t i = 0; i < queue_.size(); ++i)
        if (const auto& f = jobs_.at(queue_[i]).follower.moved) moved.emplace_back(f, i + 1);
    }
    run(id, moved);
    std::lock_guard lock(mutex_);
    busy_ = false;
  }
  // Stopping: what still waits will not run; its followers hear so.
  for (;;) {
    std::string id;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) return;
      id = queue_.front();
      queue_.pop_front();
    }
    finish(id, JobEnd{false, {}, "stopped before it started: BackupBuddy is shutting down"});
  }
}

void JobQueue::run(const std::string& id, const std::vector<std::pair<MovedCallback, std::size_t>>& moved) {
  JobWork work;
  JobFollower follower;
  {
    std::lock_guard lock(mutex_);
    Job& job = jobs_.at(id);
    work = std::move(job.work);
    follower = job.follower;
  }
  if (follower.started) {
    try {
      follower.started();
    } catch (const std::exception& e) {
      log::warn("jobs: following job " + id + " failed: " + log::mask_secrets(e.what()));
    }
  }
  // Then every job still waiting hears its new place.
  for (const auto& [callback, position] : moved) {
    try {
      callback(position);
    } catch (const std::exception& e) {
      log::warn(std::string("jobs: following a waiting job failed: ") + log::mask_secrets(e.what()));
    }
  }
  ProgressCallback progress = [this, id, &follower](std::uint64_t done, std::uint64_t total) {
    {
      std::lock_guard lock(mutex_);
      auto it = jobs_.find(id);
      if (it == jobs_.end()) return;
      it->second.done = done;
      it->second.total = total;
    }
    if (follower.progress) follower.progress(done, total);
  };
  JobEnd end;
  try {
    end.result = work(progress);
    end.ok = true;
  } catch (const std::exception& e) {
    end.reason = wording_(e);
    log::warn("jobs: job " + id + " failed: " + log::mask_secrets(e.what()));
  } catch (...) {
    end.reason = "failed for an unknown reason";
    log::warn("jobs: job " + id + " failed with a non-standard exception");
  }
  finish(id, std::move(end));
}

void JobQueue::finish(const std::string& id, JobEnd end) {
  std::function<void(const JobEnd&)> finished;
  {
    std::lock_guard lock(mutex_);
    Job& job = jobs_.at(id);
    job.state = end.ok ? "done" : "failed";
    job.result = end.result;
    job.reason = end.reason;
    job.finished = std::chrono::system_clock::now();
    if (end.ok && job.total > 0) job.done = job.total;
    finished = job.follower.finished;
    job.follower = {};
    finished_.push_back(id);
    while (finished_.size() > kFinishedJobsKept) {
      jobs_.erase(finished_.front());
      finished_.pop_front();
    }
  }
  if (!finished) return;
  try {
    finished(end);
  } catch (const std::exception& e) {
    log::warn("jobs: following job " + id + " failed: " + log::mask_secrets(e.what()));
  }
}

}  // namespace bb
