// Cooperative cancellation: SIGINT/SIGTERM set a flag that long loops poll, so work in
// flight is undone (upload aborted, temporary database dropped) before exiting.
#pragma once

namespace bb {

// Installs SIGINT/SIGTERM handlers that request cancellation, SIGHUP (reload the config)
// and SIGUSR1 (run what is due now) handlers for `serve`; ignores SIGPIPE.
void install_signal_handlers();
// True once after each SIGHUP (the flag is cleared by reading it).
bool take_reload_request();
// True once after each SIGUSR1.
bool take_run_now_request();
// True once a stop was requested.
bool cancel_requested();
// Throws CancelledError if a stop was requested.
void throw_if_cancelled();
// Requests cancellation (tests, and the handlers).
void request_cancel();

}  // namespace bb
