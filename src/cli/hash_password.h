// `backupbuddy hash-password`: reads a password from standard input, prints its hash for
// a [[web.users]] password_hash.
#pragma once

namespace bb {

// Reads one line (the password, without its line break) from stdin; prints the scrypt hash
// on stdout. An empty password is refused (exit 2). Returns the exit code.
int cmd_hash_password();

}  // namespace bb
