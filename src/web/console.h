// The web console: HTTP API under /api/v1/ (the JSON of --json), server-rendered pages,
// GET /metrics; users from [[web.users]] by HTTP Basic (scripts) or a session cookie from
// the login form (browsers). docs/web-api.md documents every endpoint.
#pragma once

#include "config/config.h"

namespace bb::web {

// Serves [web] listen until SIGTERM/SIGINT. Throws ConfigError (no [web] listen or users,
// unreadable TLS files) or OperationError (the address is taken).
void serve_console(const Config& config);

}  // namespace bb::web
