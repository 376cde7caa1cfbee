// One way to turn OpenSSL's error queue into our error type (SHA-256, age, …).
#pragma once

#include <string>

namespace bb {

// Throws OperationError "<context> failed: <OpenSSL's reason> — check the OpenSSL 3
// installation (libssl3)", clearing OpenSSL's error queue.
[[noreturn]] void throw_openssl_error(const std::string& context);

}  // namespace bb
