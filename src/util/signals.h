// Cooperative cancellation: SIGINT/SIGTERM set a flag that long loops poll, so work in
// flight is undone (upload aborted, temporary database dropped) before exiting.
#pragma once

namespace bb {

// Installs SIGINT/SIGTERM handlers that request cancellation; ignores SIGPIPE.
void install_signal_handlers();
// True once a stop was requested.
bool cancel_requested();
// Throws CancelledError if a stop was requested.
void throw_if_cancelled();
// Requests cancellation (tests, and the handlers).
void request_cancel();

}  // namespace bb
