// Signal handling: set a flag, nothing else (async-signal-safe).
#include "util/signals.h"

#include <csignal>

#include <atomic>

#include "util/error.h"

namespace bb {
namespace {
std::atomic<bool> g_cancel{false};
std::atomic<bool> g_reload{false};
std::atomic<bool> g_run_now{false};
extern "C" void on_stop_signal(int) { g_cancel.store(true); }
extern "C" void on_reload_signal(int) { g_reload.store(true); }
extern "C" void on_run_now_signal(int) { g_run_now.store(true); }
}  // namespace

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESTART;  // blocking calls continue; loops poll cancel_requested()
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = on_reload_signal;
  sigaction(SIGHUP, &sa, nullptr);
  sa.sa_handler = on_run_now_signal;
  sigaction(SIGUSR1, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool cancel_requested() { return g_cancel.load(); }
bool take_reload_request() { return g_reload.exchange(false); }
bool take_run_now_request() { return g_run_now.exchange(false); }

void throw_if_cancelled() {
  if (g_cancel.load()) throw CancelledError();
}

void request_cancel() { g_cancel.store(true); }

}  // namespace bb
