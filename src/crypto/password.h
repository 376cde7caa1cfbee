// Password hashes for the web console's users: scrypt (OpenSSL 3) with a random salt,
// the parameters kept in the string so they can be raised later without breaking old
// hashes: "$scrypt$ln=15,r=8,p=1$<salt base64>$<hash base64>".
#pragma once

#include <string>
#include <string_view>

namespace bb {

// Default scrypt work factor: N = 2^15 (32 MiB, about 0.1 s per hash).
inline constexpr int kPasswordLog2N = 15;

// A new hash of password with a fresh 16-byte random salt. Throws OperationError.
std::string hash_password(std::string_view password, int log2_n = kPasswordLog2N);

// True if password matches hash (compared in constant time). A malformed hash is no
// match (never a throw), so a bad entry cannot be told from a wrong password.
bool verify_password(std::string_view password, std::string_view hash);

// Empty if hash is a well-formed "$scrypt$…" string, else what is wrong with it (for
// config errors; never echoes the hash).
std::string password_hash_problem(std::string_view hash);

}  // namespace bb
