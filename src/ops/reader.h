// Reading a stored backup back as a plain pg_dump archive: fetch the object, check its
// size and SHA-256 against the manifest, decompress (zstd) or pass through (legacy plain
// dumps). Shared by restore and verify.
#pragma once

#include <cstdint>
#include <optional>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "catalog/inventory.h"
#include "catalog/manifest.h"
#include "config/config.h"
#include "crypto/age.h"
#include "pg/tools.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/log.h"
#include "util/process.h"
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

// A pg_restore-like child fed the dump on stdin, whose stdout (if wanted) is read on a
// thread so neither side can block the other. A child allowed to stop early
// (pg_restore --list reads only the table of contents) is let go when it does.
class ArchiveReader {
 public:
  ArchiveReader(ProcessSpec spec, std::function<void(const char*, std::size_t)> on_output, bool may_stop_early)
      : may_stop_early_(may_stop_early) {
    spec.pipe_stdin = true;
    spec.pipe_stdout = static_cast<bool>(on_output);
    process_ = std::make_unique<Process>(Process::spawn(spec));
    if (on_output)
      thread_ = std::thread([this, on_output] {
        std::vector<char> buf(1 << 16);
        while (std::size_t n = process_->read_stdout(buf.data(), buf.size())) on_output(buf.data(), n);
      });
  }
  ~ArchiveReader() {
    if (process_) process_->terminate();
    if (thread_.joinable()) thread_.join();
  }
  // Passes a chunk on; a child that may stop early (pg_restore --list) is let go.
  void write(const char* data, std::size_t n) {
    if (stopped_) return;
    try {
      process_->write_stdin(data, n);
    } catch (const OperationError& e) {
      stopped_ = true;
      if (!may_stop_early_) throw ConsumerFailed(process_->program() + " stopped reading: " + e.what());
    }
  }
  // Ends input and waits; returns the exit code.
  int finish() {
    process_->close_stdin();
    int code = process_->wait();
    if (thread_.joinable()) thread_.join();
    return code;
  }
  // True once the child stopped reading its input.
  bool stopped() const { return stopped_; }
  std::string error_text() const {
    std::string t = log::mask_secrets(process_->stderr_text());
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return t.empty() ? "no message" : t;
  }

 private:
  std::unique_ptr<Process> process_;
  std::thread thread_;
  bool may_stop_early_;
  bool stopped_ = false;
};

// The table of contents of a backup (`pg_restore --list` output), reading only as much
// of the object as pg_restore needs for it (verbose: with each entry's "depends on" line).
// Throws OperationError if it is unreadable.
std::string read_toc(Storage& storage, const BackupEntry& entry, const Manifest* m, const DecryptionKeys& keys,
                     const PgTools& tools, bool verbose = false);

// The roles that own objects in a table of contents (pg_restore --list output).
std::vector<std::string> toc_owners(const std::string& toc);

// Loads and checks a backup's manifest (nullopt for legacy objects, which have none). An
// object over 64 MiB is refused (OperationError) after reading at most that much.
std::optional<Manifest> load_manifest(Storage& storage, const BackupEntry& entry);

// Streams the backup as a plain archive into `out`: SHA-256 of the stored bytes, age
// decryption when the object is encrypted (keys), zstd decompression when compressed.
// Size and SHA-256 are checked at the end: a mismatch throws, so callers must treat what
// they received as untrusted until read_dump returns. Returns the stored bytes read.
std::uint64_t read_dump(Storage& storage, const BackupEntry& entry, const Manifest* m, const DecryptionKeys& keys,
                        const ByteSink& out, const ProgressCallback& progress_cb, const std::string& label);

}  // namespace bb
