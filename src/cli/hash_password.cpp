// `backupbuddy hash-password`.
#include "cli/hash_password.h"

#include <openssl/crypto.h>

#include <iostream>
#include <string>

#include "crypto/password.h"
#include "util/error.h"

namespace bb {

int cmd_hash_password() {
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty())
    throw ConfigError(
        "hash-password: no password on standard input — pipe it in, e.g. "
        "`read -rs PW && printf '%s\\n' \"$PW\" | backupbuddy hash-password`");
  std::string hash = hash_password(password);
  OPENSSL_cleanse(password.data(), password.size());
  std::cout << hash << std::endl;
  return kExitOk;
}

}  // namespace bb
