// age (age-encryption.org/v1, c2sp.org/age): the encryption format of stored backups,
// so that anyone can decrypt one with the standard `age` CLI, without BackupBuddy.
// X25519 recipients ("age1…" / "AGE-SECRET-KEY-1…") and the scrypt passphrase
// recipient; the payload is streamed in 64 KiB ChaCha20-Poly1305 chunks (STREAM),
// so memory stays bounded whatever the backup's size. Built on OpenSSL 3 only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stream/sink.h"

namespace bb {

// An X25519 identity (private key). The raw secret is wiped when the object dies.
struct AgeIdentity {
  std::string secret;  // raw 32 bytes
  ~AgeIdentity();
  // The matching recipient (public key), "age1…".
  std::string public_key() const;
};

// A fresh random identity (32 bytes from the OpenSSL CSPRNG).
AgeIdentity age_generate_identity();

// The identity as age writes it: "AGE-SECRET-KEY-1…" (uppercase Bech32).
std::string age_identity_to_string(const AgeIdentity& identity);

// Every identity in an age identity file (as written by age-keygen): one
// "AGE-SECRET-KEY-1…" per line, '#' comments and blank lines allowed. Throws
// ConfigError naming `where` (a path or config key) and the line; never echoes keys.
std::vector<AgeIdentity> age_parse_identity_file(const std::string& text, const std::string& where);

// True if recipient is a well-formed X25519 recipient "age1…" (lowercase Bech32).
bool age_is_valid_recipient(const std::string& recipient);

// Streaming age encryptor (X25519 recipients or one passphrase). Move-only. The
// header goes out with the first output; each output call carries at most one
// encrypted 64 KiB chunk.
class AgeEncryptor {
 public:
  // Encrypts to every recipient ("age1…"); throws ConfigError on an empty list or a
  // recipient that is not a usable X25519 public key.
  static AgeEncryptor to_recipients(const std::vector<std::string>& recipients);
  // Encrypts with a passphrase (the scrypt recipient); work factor 2^work_factor_log2,
  // 1..22 (the age CLI refuses more than 22). Throws ConfigError on an empty passphrase.
  static AgeEncryptor with_passphrase(const std::string& passphrase, int work_factor_log2 = 18);

  ~AgeEncryptor();
  AgeEncryptor(AgeEncryptor&&) noexcept;
  AgeEncryptor& operator=(AgeEncryptor&&) noexcept;

  // Encrypts n more plaintext bytes; complete chunks go to out, the rest is kept.
  void write(const char* data, std::size_t n, const ByteSink& out);
  // Writes the final chunk (an empty payload is legal). Later writes throw.
  void finish(const ByteSink& out);
  // Plaintext bytes consumed so far.
  std::uint64_t bytes_in() const;
  // Encrypted bytes (header included) handed to sinks so far.
  std::uint64_t bytes_out() const;

 private:
  struct State;
  explicit AgeEncryptor(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Streaming age decryptor. Move-only. Plaintext reaches the sink only after its
// chunk's Poly1305 tag verified; every failure throws OperationError with a plain
// reason (wrong key, wrong passphrase, damaged header, damaged or truncated payload).
class AgeDecryptor {
 public:
  // Decrypts with X25519 identities (any one matching stanza suffices).
  static AgeDecryptor with_identities(std::vector<AgeIdentity> identities);
  // Decrypts a passphrase-encrypted file; refuses work factors above 2^max_work_factor_log2
  // (scrypt needs 1 KiB × 2^N of memory: 22 -> 4 GiB).
  static AgeDecryptor with_passphrase(const std::string& passphrase, int max_work_factor_log2 = 22);

  ~AgeDecryptor();
  AgeDecryptor(AgeDecryptor&&) noexcept;
  AgeDecryptor& operator=(AgeDecryptor&&) noexcept;

  // Consumes n more bytes of the age file: parses and authenticates the header as it
  // arrives, then decrypts chunk by chunk into out.
  void write(const char* data, std::size_t n, const ByteSink& out);
  // Feeds bytes to the header only, stopping right after it; returns how many bytes
  // were consumed (n while the header is incomplete). Lets a caller check "can I
  // decrypt this?" from a file's first bytes without touching the payload; the bytes
  // not consumed then go to write().
  std::size_t write_header(const char* data, std::size_t n);
  // Declares the end of input and hands the final chunk's plaintext to out (only at
  // the end of input can the final chunk be told from a full middle one). Throws
  // OperationError if the file ended before its final chunk (truncated), inside the
  // header, or with trailing data.
  void finish(const ByteSink& out);
  // True once the header was parsed and a stanza unwrapped the file key.
  bool header_done() const;
  // The recipient stanza types in the header, in order (e.g. {"X25519", "X25519"}).
  std::vector<std::string> stanza_types() const;
  // Plaintext bytes handed to sinks so far.
  std::uint64_t bytes_out() const;

 private:
  struct State;
  explicit AgeDecryptor(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Reads only the header at the start of file_prefix (a file's first bytes; 64 KiB
// holds any realistic header) and returns its recipient stanza types. Throws
// OperationError if the header is incomplete or damaged or no identity matches.
std::vector<std::string> age_check_header(std::string_view file_prefix,
                                          const std::vector<AgeIdentity>& identities);

}  // namespace bb
