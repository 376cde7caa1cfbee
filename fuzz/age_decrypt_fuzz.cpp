// libFuzzer target for the age decryptor (src/crypto/age.h): arbitrary bytes are fed
// to AgeDecryptor with a fixed X25519 identity (whole, and in small pieces) and with a
// fixed passphrase. Any failure must be an OperationError; anything else (another
// exception, a sanitizer report, a crash) is a bug. Built with
// -DBB_AGE_FUZZ_SEED_MAIN instead, this file is a tool writing a seed corpus of
// valid files made by our encryptor into the directory named by argv[1].
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "crypto/age.h"
#include "util/error.h"

namespace {

// The C2SP/CCTV testkit identity; the fuzzer needs a fixed key, not a secret one.
const char* const kIdentity =
    "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";
const char* const kPassphrase = "fuzz passphrase";
// scrypt costs 1 KiB x 2^N; keep fuzzer-chosen work factors cheap.
[[maybe_unused]] constexpr int kMaxWorkFactor = 5;

const bb::AgeIdentity& identity() {
  static const bb::AgeIdentity id =
      bb::age_parse_identity_file(std::string(kIdentity) + "\n", "fuzz").at(0);
  return id;
}

// Decrypts data in pieces of `piece` bytes; checks the sink saw what bytes_out says.
[[maybe_unused]] void decrypt(bb::AgeDecryptor dec, const std::uint8_t* data, std::size_t size,
                              std::size_t piece) {
  std::uint64_t seen = 0;
  bb::ByteSink sink = [&](const char*, std::size_t n) {
    if (n == 0 || n > 64 * 1024) std::abort();  // chunks are never empty or oversized
    seen += n;
  };
  try {
    for (std::size_t pos = 0; pos < size; pos += piece) {
      std::size_t n = size - pos < piece ? size - pos : piece;
      dec.write(reinterpret_cast<const char*>(data) + pos, n, sink);
    }
    dec.finish(sink);
  } catch (const bb::OperationError&) {
    // Expected for almost every input.
  }
  if (seen != dec.bytes_out()) std::abort();
}

}  // namespace

#ifndef BB_AGE_FUZZ_SEED_MAIN

namespace {

// Property: the input, taken as plaintext and written in pieces whose sizes the input
// chooses, encrypts and decrypts back to itself.
void round_trip(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return;
  std::size_t piece = 1 + data[0] % 200;
  bb::AgeEncryptor enc = bb::AgeEncryptor::to_recipients({identity().public_key()});
  std::string file;
  bb::ByteSink to_file = [&](const char* d, std::size_t n) { file.append(d, n); };
  for (std::size_t pos = 0; pos < size; pos += piece) {
    enc.write(reinterpret_cast<const char*>(data) + pos, std::min(piece, size - pos), to_file);
  }
  enc.finish(to_file);
  std::string plain;
  bb::ByteSink to_plain = [&](const char* d, std::size_t n) { plain.append(d, n); };
  bb::AgeDecryptor dec = bb::AgeDecryptor::with_identities({identity()});
  std::size_t back_piece = 1 + size % 4099;
  for (std::size_t pos = 0; pos < file.size(); pos += back_piece) {
    dec.write(file.data() + pos, std::min(back_piece, file.size() - pos), to_plain);
  }
  dec.finish(to_plain);
  if (plain.size() != size || std::memcmp(plain.data(), data, size) != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  decrypt(bb::AgeDecryptor::with_identities({identity()}), data, size, size == 0 ? 1 : size);
  decrypt(bb::AgeDecryptor::with_identities({identity()}), data, size, 7);
  decrypt(bb::AgeDecryptor::with_passphrase(kPassphrase, kMaxWorkFactor), data, size,
          size == 0 ? 1 : size);
  try {
    bb::age_check_header(std::string_view(reinterpret_cast<const char*>(data), size), {identity()});
  } catch (const bb::OperationError&) {
  }
  round_trip(data, size);
  return 0;
}

#else

namespace {

std::string encrypt(bb::AgeEncryptor enc, std::size_t size) {
  std::string plain(size, '\0');
  for (std::size_t i = 0; i < size; ++i) plain[i] = static_cast<char>(i * 131 + 7);
  std::string out;
  bb::ByteSink sink = [&](const char* d, std::size_t n) { out.append(d, n); };
  enc.write(plain.data(), plain.size(), sink);
  enc.finish(sink);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  std::string me = identity().public_key();
  std::string other = bb::age_generate_identity().public_key();
  std::vector<std::pair<std::string, std::string> > seeds;
  for (std::size_t size : {0u, 1u, 100u, 65536u, 65537u}) {
    seeds.emplace_back("x25519_" + std::to_string(size),
                       encrypt(bb::AgeEncryptor::to_recipients({me}), size));
    seeds.emplace_back("scrypt_" + std::to_string(size),
                       encrypt(bb::AgeEncryptor::with_passphrase(kPassphrase, 2), size));
  }
  seeds.emplace_back("two_recipients", encrypt(bb::AgeEncryptor::to_recipients({other, me}), 300));
  seeds.emplace_back("not_for_us", encrypt(bb::AgeEncryptor::to_recipients({other}), 10));
  for (const auto& [name, bytes] : seeds) {
    std::ofstream out(dir + "/seed_" + name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s/seed_%s\n", dir.c_str(), name.c_str());
      return 1;
    }
  }
  std::printf("wrote %zu seeds to %s\n", seeds.size(), dir.c_str());
  return 0;
}

#endif
