// The tail every per-database operation shares: run the work; a failure (but never a stop
// request) becomes the result's plain, secret-masked reason; the result keeps its time.
#pragma once

#include <chrono>
#include <exception>
#include <functional>

#include "util/error.h"
#include "util/log.h"

namespace bb {

// Runs work(started) for `result` (a BackupResult or VerifyResult: fields ok, error,
// seconds). work may move `started` (e.g. after waiting for a free backup id). A
// CancelledError passes through; any other exception sets ok = false and error, then
// on_failure (optional) sees it. seconds is set either way.
template <typename Result>
void record_outcome(Result& result, const std::function<void(std::chrono::steady_clock::time_point&)>& work,
                    const std::function<void(const std::exception&)>& on_failure = {}) {
  auto started = std::chrono::steady_clock::now();
  try {
    work(started);
  } catch (const CancelledError&) {
    throw;
  } catch (const std::exception& e) {
    result.ok = false;
    result.error = log::mask_secrets(e.what());
    if (on_failure) on_failure(e);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

}  // namespace bb
