// The web console's one-at-a-time job runner.
#include "web/jobs.h"

#include <openssl/rand.h>

#include "util/error.h"
#include "util/log.h"

namespace bb::web {
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

JobRunner::JobRunner(FailureWording wording) : wording_(std::move(wording)), thread_([this] { worker(); }) {}

JobRunner::~JobRunner() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::string JobRunner::submit(const std::string& kind, const std::string& user, const std::string& database,
                              JobWork work) {
  Job job;
  job.id = random_token();
  job.kind = kind;
  job.user = user;
  job.database = database;
  job.created = std::chrono::system_clock::now();
  job.work = std::move(work);
  std::string id = job.id;
  {
    std::lock_guard lock(mutex_);
    jobs_.emplace(id, std::move(job));
    queue_.push_back(id);
  }
  wake_.notify_all();
  return id;
}

std::optional<nlohmann::ordered_json> JobRunner::describe(const std::string& id) const {
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

void JobRunner::worker() {
  for (;;) {
    std::string id;
    JobWork work;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      id = queue_.front();
      queue_.pop_front();
      Job& job = jobs_.at(id);
      job.state = "running";
      work = std::move(job.work);
    }
    ProgressCallback progress = [this, id](std::uint64_t done, std::uint64_t total) {
      std::lock_guard lock(mutex_);
      auto it = jobs_.find(id);
      if (it == jobs_.end()) return;
      it->second.done = done;
      it->second.total = total;
    };
    nlohmann::ordered_json result;
    std::string reason;
    bool ok = false;
    try {
      result = work(progress);
      ok = true;
    } catch (const std::exception& e) {
      reason = wording_(e);
      log::warn("web: job " + id + " failed: " + log::mask_secrets(e.what()));
    }
    std::lock_guard lock(mutex_);
    Job& job = jobs_.at(id);
    job.state = ok ? "done" : "failed";
    job.result = std::move(result);
    job.reason = std::move(reason);
    job.finished = std::chrono::system_clock::now();
    if (ok && job.total > 0) job.done = job.total;
    finished_.push_back(id);
    while (finished_.size() > kFinishedJobsKept) {
      jobs_.erase(finished_.front());
      finished_.pop_front();
    }
  }
}

}  // namespace bb::web
