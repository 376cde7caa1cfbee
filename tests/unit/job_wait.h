// Test helper for the job queue (ops/jobs.h): waits for a job to reach a state.
#pragma once

#include <chrono>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "ops/jobs.h"

namespace bb::testing_support {

// Waits until the job reaches one of the states (or 5 s pass); returns its description.
inline nlohmann::ordered_json wait_for(JobQueue& jobs, const std::string& id, std::initializer_list<const char*> states) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    auto job = *jobs.describe(id);
    for (const char* s : states)
      if (job["state"] == s) return job;
    if (std::chrono::steady_clock::now() > deadline) return job;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace bb::testing_support
