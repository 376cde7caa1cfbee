// RateLimiter.
#include "util/rate_limit.h"

#include <algorithm>
#include <thread>

#include "util/signals.h"

namespace bb {

RateLimiter::RateLimiter(std::uint64_t bytes_per_second) : rate_(std::max<std::uint64_t>(bytes_per_second, 1)) {}

void RateLimiter::acquire(std::uint64_t n) {
  std::chrono::steady_clock::time_point until;
  {
    std::lock_guard<std::mutex> g(mutex_);
    auto now = std::chrono::steady_clock::now();
    if (next_ < now) next_ = now;
    next_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(static_cast<double>(n) / static_cast<double>(rate_)));
    until = next_;
  }
  for (auto now = std::chrono::steady_clock::now(); now < until; now = std::chrono::steady_clock::now()) {
    throw_if_cancelled();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(200)));
  }
}

}  // namespace bb
