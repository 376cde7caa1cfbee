// `backupbuddy keygen`.
#include "cli/keygen.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "catalog/keys.h"
#include "crypto/age.h"
#include "util/error.h"
#include "util/log.h"

namespace bb {

int cmd_keygen(const std::string& output_path) {
  AgeIdentity identity = age_generate_identity();
  std::string text = "# created: " + format_iso_utc(std::chrono::system_clock::now()) +
                     "\n# public key: " + identity.public_key() + "\n" + age_identity_to_string(identity) + "\n";
  // O_EXCL: an existing key is never overwritten (it may be the only way to read old backups).
  int fd = ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST)
      throw ConfigError(output_path + " already exists — BackupBuddy never overwrites a key (old backups may need it); "
                                      "choose another path with --output");
    throw ConfigError("cannot create " + output_path + ": " + std::strerror(err));
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(output_path.c_str());
    throw OperationError("cannot write " + output_path + ": " + std::strerror(errno));
  }
  log::info("wrote the private key to " + output_path +
            " (mode 0600). Keep a copy somewhere safe: without it encrypted backups cannot be restored.");
  log::info("put the public key into [encryption] recipients, and the file into identity_file:");
  std::cout << identity.public_key() << std::endl;
  return kExitOk;
}

}  // namespace bb
