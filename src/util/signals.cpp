// Signal handling: set a flag, nothing else (async-signal-safe).
#include "util/signals.h"

#include <csignal>

#include <atomic>

#include "util/error.h"

namespace bb {
namespace {
std::atomic<bool> g_cancel{false};
extern "C" void on_stop_signal(int) { g_cancel.store(true); }
}  // namespace

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESTART;  // blocking calls continue; loops poll cancel_requested()
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool cancel_requested() { return g_cancel.load(); }

void throw_if_cancelled() {
  if (g_cancel.load()) throw CancelledError();
}

void request_cancel() { g_cancel.store(true); }

}  // namespace bb
