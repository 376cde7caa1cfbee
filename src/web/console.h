// The web console: HTTP API under /api/v1/ (the JSON of --json), server-rendered pages,
// GET /metrics; users from [[web.users]] by HTTP Basic (scripts) or a session cookie from
// the login form (browsers). docs/web-api.md documents every endpoint. Restores and backups
// go through a JobQueue (ops/jobs.h): its own under `backupbuddy web`, the one it shares
// with the Telegram bot under `serve`.
#pragma once

#include <exception>
#include <memory>
#include <string>

#include "config/config.h"
#include "ops/jobs.h"

namespace bb::web {

// A failed job's reason with the web's words for its remedy, secrets masked: the wording
// of the queue the console uses.
std::string job_failure_wording(const std::exception& error);

// The console bound to [web] listen. The constructor checks the TLS files and binds:
// throws ConfigError (unreadable TLS files) or OperationError (the address is taken).
class ConsoleServer {
 public:
  ConsoleServer(const Config& config, JobQueue& jobs);
  ~ConsoleServer();
  ConsoleServer(const ConsoleServer&) = delete;
  ConsoleServer& operator=(const ConsoleServer&) = delete;

  // Serves until SIGTERM/SIGINT (bb::cancel_requested()), then returns.
  void run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Serves [web] listen with a job queue of its own until SIGTERM/SIGINT. Throws ConfigError
// (no [web] listen or users, unreadable TLS files) or OperationError (the address is taken).
void serve_console(const Config& config);

}  // namespace bb::web
