// OpenSSL errors as OperationError.
#include "util/openssl_error.h"

#include <openssl/err.h>

#include "util/error.h"

namespace bb {

void throw_openssl_error(const std::string& context) {
  unsigned long code = ERR_get_error();
  char reason[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
  ERR_clear_error();
  throw OperationError(context + " failed: " + reason + " — check the OpenSSL 3 installation (libssl3)");
}

}  // namespace bb
