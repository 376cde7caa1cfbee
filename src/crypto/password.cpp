// scrypt password hashes through EVP_PBE_scrypt; base64 through EVP_EncodeBlock.

#include "crypto/password.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "util/error.h"
#include "util/openssl_error.h"

namespace bb {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
constexpr int kMinLog2N = 10;
constexpr int kMaxLog2N = 20;
constexpr int kMaxR = 32;
constexpr int kMaxP = 16;

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::vector<unsigned char>> unbase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::vector<unsigned char> out(text.size() / 4 * 3 + 1);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

struct Parsed {
  int log2_n = 0, r = 0, p = 0;
  std::vector<unsigned char> salt, hash;
};

// Parses "$scrypt$ln=15,r=8,p=1$salt$hash"; problem says why not.
std::optional<Parsed> parse(std::string_view text, std::string& problem) {
  constexpr std::string_view kPrefix = "$scrypt$";
  if (text.substr(0, kPrefix.size()) != kPrefix) {
    problem = "is not a hash printed by `backupbuddy hash-password` (it starts with $scrypt$)";
    return std::nullopt;
  }
  std::vector<std::string_view> parts;
  std::string_view rest = text.substr(kPrefix.size());
  for (std::size_t pos; (pos = rest.find('$')) != std::string_view::npos;) {
    parts.push_back(rest.substr(0, pos));
    rest = rest.substr(pos + 1);
  }
  parts.push_back(rest);
  if (parts.size() != 3) {
    problem = "must have the form $scrypt$ln=15,r=8,p=1$<salt>$<hash>";
    return std::nullopt;
  }
  Parsed out;
  int ln = 0, r = 0, p = 0;
  char tail = 0;
  std::string params(parts[0]);
  if (std::sscanf(params.c_str(), "ln=%d,r=%d,p=%d%c", &ln, &r, &p, &tail) != 3 || ln < kMinLog2N ||
      ln > kMaxLog2N || r < 1 || r > kMaxR || p < 1 || p > kMaxP) {
    problem = "has bad scrypt parameters (ln 10..20, r 1..32, p 1..16)";
    return std::nullopt;
  }
  auto salt = unbase64(parts[1]);
  auto hash = unbase64(parts[2]);
  if (!salt || salt->size() < 8 || !hash || hash->size() != kHashBytes) {
    problem = "has a bad salt or hash (not the base64 that hash-password prints)";
    return std::nullopt;
  }
  out.log2_n = ln;
  out.r = r;
  out.p = p;
  out.salt = std::move(*salt);
  out.hash = std::move(*hash);
  return out;
}

std::vector<unsigned char> derive(std::string_view password, const std::vector<unsigned char>& salt, int log2_n,
                                  int r, int p) {
  std::vector<unsigned char> out(kHashBytes);
  std::uint64_t n = std::uint64_t{1} << log2_n;
  std::uint64_t max_memory = 128 * std::uint64_t(r) * (n + static_cast<std::uint64_t>(p) + 4) + (1 << 20);
  if (EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), n, static_cast<std::uint64_t>(r),
                     static_cast<std::uint64_t>(p), max_memory, out.data(), out.size()) != 1)
    throw_openssl_error("scrypt of a password");
  return out;
}

}  // namespace

std::string hash_password(std::string_view password, int log2_n) {
  std::vector<unsigned char> salt(kSaltBytes);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) throw_openssl_error("RAND_bytes");
  constexpr int r = 8, p = 1;
  std::vector<unsigned char> hash = derive(password, salt, log2_n, r, p);
  std::string out = "$scrypt$ln=" + std::to_string(log2_n) + ",r=" + std::to_string(r) +
                    ",p=" + std::to_string(p) + "$" + base64(salt.data(), salt.size()) + "$" +
                    base64(hash.data(), hash.size());
  OPENSSL_cleanse(hash.data(), hash.size());
  return out;
}

bool verify_password(std::string_view password, std::string_view hash) {
  std::string problem;
  auto parsed = parse(hash, problem);
  if (!parsed) return false;
  std::vector<unsigned char> got = derive(password, parsed->salt, parsed->log2_n, parsed->r, parsed->p);
  bool same = CRYPTO_memcmp(got.data(), parsed->hash.data(), kHashBytes) == 0;
  OPENSSL_cleanse(got.data(), got.size());
  return same;
}

std::string password_hash_problem(std::string_view hash) {
  std::string problem;
  parse(hash, problem);
  return problem;
}

}  // namespace bb
