// RateLimiter: a byte rate shared by every thread that moves bytes (all parts in flight),
// with no burst: n bytes are let through only once n / rate seconds have passed since the
// bytes before them, so moving N bytes takes at least N / rate seconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace bb {

class RateLimiter {
 public:
  explicit RateLimiter(std::uint64_t bytes_per_second);
  // Waits until n more bytes may pass (throws CancelledError on SIGINT/SIGTERM).
  void acquire(std::uint64_t n);
  std::uint64_t rate() const { return rate_; }

 private:
  std::uint64_t rate_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point next_{};  // when the bytes granted so far have passed
};

}  // namespace bb
