// Bech32 per BIP 173: a BCH checksum over the expanded human-readable part and the
// 5-bit data groups; bytes are regrouped 8 -> 5 bits with zero padding.
#include "crypto/bech32.h"

#include <cstdint>
#include <vector>

namespace bb {
namespace {

constexpr char kAlphabet[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

std::uint32_t polymod(const std::vector<std::uint8_t>& values) {
  constexpr std::uint32_t kGenerator[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                           0x2a1462b3};
  std::uint32_t checksum = 1;
  for (std::uint8_t value : values) {
    std::uint32_t top = checksum >> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) checksum ^= kGenerator[i];
    }
  }
  return checksum;
}

// The checksum input: high bits of each hrp character, a zero, then the low bits.
std::vector<std::uint8_t> expand_hrp(std::string_view hrp) {
  std::vector<std::uint8_t> out;
  out.reserve(hrp.size() * 2 + 1);
  for (char c : hrp) out.push_back(static_cast<std::uint8_t>(static_cast<unsigned char>(c) >> 5));
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<std::uint8_t>(static_cast<unsigned char>(c) & 31));
  return out;
}

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

std::string bech32_encode(std::string_view hrp, std::string_view data, bool uppercase) {
  std::string lower_hrp;
  for (char c : hrp) lower_hrp.push_back(to_lower(c));
  // Regroup 8-bit bytes into 5-bit values, zero-padding the last group.
  std::vector<std::uint8_t> groups;
  std::uint32_t accumulator = 0;
  int bits = 0;
  for (char byte : data) {
    accumulator = (accumulator << 8) | static_cast<unsigned char>(byte);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      groups.push_back(static_cast<std::uint8_t>((accumulator >> bits) & 31));
    }
  }
  if (bits > 0) groups.push_back(static_cast<std::uint8_t>((accumulator << (5 - bits)) & 31));

  std::vector<std::uint8_t> check_input = expand_hrp(lower_hrp);
  check_input.insert(check_input.end(), groups.begin(), groups.end());
  check_input.insert(check_input.end(), 6, 0);
  std::uint32_t checksum = polymod(check_input) ^ 1;
  for (int i = 0; i < 6; ++i)
    groups.push_back(static_cast<std::uint8_t>((checksum >> (5 * (5 - i))) & 31));

  std::string out = lower_hrp + "1";
  for (std::uint8_t group : groups) out.push_back(kAlphabet[group]);
  if (uppercase) {
    for (char& c : out) c = to_upper(c);
  }
  return out;
}

std::optional<Bech32Decoded> bech32_decode(std::string_view text) {
  bool has_lower = false;
  bool has_upper = false;
  for (char c : text) {
    if (c < 33 || c > 126) return std::nullopt;
    if (c >= 'a' && c <= 'z') has_lower = true;
    if (c >= 'A' && c <= 'Z') has_upper = true;
  }
  if (has_lower && has_upper) return std::nullopt;
  std::string lower;
  lower.reserve(text.size());
  for (char c : text) lower.push_back(to_lower(c));

  std::size_t separator = lower.rfind('1');
  if (separator == std::string::npos || separator == 0 || separator + 7 > lower.size()) {
    return std::nullopt;
  }
  std::string_view hrp(lower.data(), separator);
  std::vector<std::uint8_t> groups;
  for (std::size_t i = separator + 1; i < lower.size(); ++i) {
    const char* found = nullptr;
    for (const char* p = kAlphabet; *p != '\0'; ++p) {
      if (*p == lower[i]) found = p;
    }
    if (found == nullptr) return std::nullopt;
    groups.push_back(static_cast<std::uint8_t>(found - kAlphabet));
  }
  std::vector<std::uint8_t> check_input = expand_hrp(hrp);
  check_input.insert(check_input.end(), groups.begin(), groups.end());
  if (polymod(check_input) != 1) return std::nullopt;
  groups.resize(groups.size() - 6);

  // Regroup 5-bit values into bytes; leftover padding must be short and all zero.
  Bech32Decoded decoded;
  decoded.hrp = std::string(hrp);
  decoded.uppercase = has_upper;
  std::uint32_t accumulator = 0;
  int bits = 0;
  for (std::uint8_t group : groups) {
    accumulator = ((accumulator << 5) | group) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      decoded.data.push_back(static_cast<char>((accumulator >> bits) & 0xff));
    }
  }
  if (bits >= 5 || (accumulator & ((1u << bits) - 1)) != 0) return std::nullopt;
  return decoded;
}

}  // namespace bb
