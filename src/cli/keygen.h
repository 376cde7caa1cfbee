// `backupbuddy keygen`: a new age identity for [encryption] — writes the private key file
// (mode 0600, never overwriting) and prints the public key to put into `recipients`.
#pragma once

#include <string>

namespace bb {

int cmd_keygen(const std::string& output_path);

}  // namespace bb
