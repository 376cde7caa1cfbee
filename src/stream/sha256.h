// SHA-256: the checksum of every stored object (recorded in the manifest, checked on
// restore and verify). Incremental, so it sits in the streaming pipeline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace bb {

// Incremental SHA-256 (OpenSSL 3 EVP). Move-only.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // Feeds n more bytes.
  void update(const char* data, std::size_t n);
  // Finishes and returns the digest as 64 lowercase hex digits; the hasher then starts
  // over, empty, so it can be reused.
  std::string hex_digest();
  // Bytes fed since construction or the last hex_digest().
  std::uint64_t bytes() const { return bytes_; }

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  std::uint64_t bytes_ = 0;
};

// SHA-256 of data in one call, as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

// HMAC-SHA256 of data under key, as 64 lowercase hex digits (webhook signatures).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

}  // namespace bb
