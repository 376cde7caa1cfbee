// Bech32 (BIP 173 checksummed base32), as age uses it for its keys ("age1…",
// "AGE-SECRET-KEY-1…"): the same algorithm, but without BIP 173's 90-character limit.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bb {

// A decoded Bech32 string: the human-readable part (lowercase) and the data bytes.
struct Bech32Decoded {
  std::string hrp;
  std::string data;
  bool uppercase = false;  // the input was all uppercase
};

// Encodes bytes under hrp in lowercase, or all uppercase when uppercase is set.
std::string bech32_encode(std::string_view hrp, std::string_view data, bool uppercase = false);

// Decodes a Bech32 string; nullopt on a bad checksum, mixed case, a character outside
// the alphabet, or non-zero padding bits.
std::optional<Bech32Decoded> bech32_decode(std::string_view text);

}  // namespace bb
