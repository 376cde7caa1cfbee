// Progress of long work (bytes, rate, ETA): redrawn in place on a terminal, a log line
// every 30 s otherwise (cron, systemd). An optional callback feeds other displays (the bot).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace bb {

// done: bytes processed so far; total: expected bytes (0 = unknown).
using ProgressCallback = std::function<void(std::uint64_t done, std::uint64_t total)>;

class Progress {
 public:
  // label: e.g. "backup buh2_db"; total_hint: expected bytes, 0 if unknown.
  Progress(std::string label, std::uint64_t total_hint, ProgressCallback callback = {});
  ~Progress();
  // Reports bytes done (cheap; redraws at most a few times a second).
  void update(std::uint64_t done, const std::string& detail = "");
  // Clears the terminal line.
  void finish();

 private:
  std::string label_;
  std::uint64_t total_;
  ProgressCallback callback_;
  bool tty_;
  bool drawn_ = false;
  std::uint64_t last_done_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_, last_log_, last_callback_, last_change_;
};

}  // namespace bb
