// Reading a stored backup back as a plain pg_dump archive: fetch the object, check its
// size and SHA-256 against the manifest, decompress (zstd) or pass through (legacy plain
// dumps). Shared by restore and verify.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>

#include "catalog/inventory.h"
#include "catalog/manifest.h"
#include "config/config.h"
#include "crypto/age.h"
#include "storage/storage.h"
#include "util/progress.h"

namespace bb {

// Thrown by a consumer (the sink given to read_dump) to report its own failure, so that
// read_dump passes it through instead of calling the backup damaged.
struct ConsumerFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What decrypts age-encrypted backups: [encryption] identity_file and/or passphrase_file.
struct DecryptionKeys {
  std::vector<AgeIdentity> identities;
  std::optional<std::string> passphrase;
  bool empty() const { return identities.empty() && !passphrase; }
};

// Reads the configured identity/passphrase files (ConfigError naming the file on failure).
DecryptionKeys load_decryption_keys(const EncryptionConfig& config);

// Before anything is created: fails (OperationError) unless `keys` can decrypt the
// backup. Reads only the object's first bytes (its age header). No-op if not encrypted.
void check_can_decrypt(Storage& storage, const BackupEntry& entry, const DecryptionKeys& keys);

// Loads and checks a backup's manifest (nullopt for legacy objects, which have none).
std::optional<Manifest> load_manifest(Storage& storage, const BackupEntry& entry);

// Streams the backup as a plain archive into `out`: SHA-256 of the stored bytes, age
// decryption when the object is encrypted (keys), zstd decompression when compressed.
// Size and SHA-256 are checked at the end: a mismatch throws, so callers must treat what
// they received as untrusted until read_dump returns. Returns the stored bytes read.
std::uint64_t read_dump(Storage& storage, const BackupEntry& entry, const Manifest* m, const DecryptionKeys& keys,
                        const ByteSink& out, const ProgressCallback& progress_cb, const std::string& label);

}  // namespace bb
