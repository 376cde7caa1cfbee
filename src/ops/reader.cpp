// Reading stored backups back.
#include "ops/reader.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "stream/sha256.h"
#include "stream/zstd.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"
#include "util/signals.h"

namespace bb {
namespace {

constexpr std::string_view kAgeMagic = "age-encryption.org/v1\n";
constexpr std::string_view kZstdMagic("\x28\xB5\x2F\xFD", 4);
constexpr std::string_view kCustomMagic = "PGDMP";

// Thrown from a sink to stop a download early (the header check needs only the start).
struct EnoughBytes {};

// A manifest is a few KiB (row counts of a database with 100,000 tables: a few MiB);
// anything larger is not one of ours and is refused before it is parsed.
constexpr std::size_t kMaxManifestBytes = 64ull << 20;

std::string read_file(const std::string& path, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(key + ": cannot read " + path + " — check the path and its permissions");
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

AgeDecryptor make_decryptor(const DecryptionKeys& keys, const BackupEntry& entry) {
  if (!keys.identities.empty()) return AgeDecryptor::with_identities(keys.identities);
  if (keys.passphrase) return AgeDecryptor::with_passphrase(*keys.passphrase);
  throw OperationError("backup " + entry.id + " of " + quote_name(entry.db) +
                       " is encrypted, but no key is configured — set [encryption] identity_file (or passphrase_file) "
                       "to the key it was encrypted for");
}

// The plain archive inside a (decrypted) stream: zstd-compressed, or a custom-format
// dump as the old Python tool stored it. Decided from the first bytes.
class Unpacker {
 public:
  Unpacker(const BackupEntry& entry, const ByteSink& out) : entry_(entry), out_(out) {}
  void write(const char* data, std::size_t n) {
    if (n == 0) return;
    if (!decided_) {
      std::string_view head(data, n);
      if (head.substr(0, kZstdMagic.size()) == kZstdMagic) zstd_ = true;
      else if (head.substr(0, kCustomMagic.size()) != kCustomMagic)
        throw OperationError("the stored object " + entry_.data_key +
                             " is neither zstd-compressed nor a pg_dump custom-format archive");
      decided_ = true;
    }
    if (zstd_) decompressor_.write(data, n, out_);
    else out_(data, n);
  }
  void finish() {
    if (!decided_) throw OperationError("the stored object " + entry_.data_key + " holds no data");
    if (zstd_) decompressor_.finish();
  }

 private:
  const BackupEntry& entry_;
  const ByteSink& out_;
  bool decided_ = false;
  bool zstd_ = false;
  ZstdDecompressor decompressor_;
};

}  // namespace

DecryptionKeys load_decryption_keys(const EncryptionConfig& config) {
  DecryptionKeys keys;
  if (config.identity_file)
    keys.identities = age_parse_identity_file(read_file(*config.identity_file, "encryption.identity_file"),
                                              *config.identity_file);
  if (config.passphrase_file) {
    std::string p = read_file(*config.passphrase_file, "encryption.passphrase_file");
    while (!p.empty() && (p.back() == '\n' || p.back() == '\r')) p.pop_back();
    if (p.empty()) throw ConfigError("encryption.passphrase_file " + *config.passphrase_file + " is empty");
    log::register_secret(p);
    keys.passphrase = p;
  }
  return keys;
}

void check_can_decrypt(Storage& storage, const BackupEntry& entry, const DecryptionKeys& keys) {
  std::string head;
  try {
    storage.get_stream(entry.data_key, [&](const char* data, std::size_t n) {
      head.append(data, n);
      if (head.size() >= 64 * 1024) throw EnoughBytes{};
    });
  } catch (const EnoughBytes&) {
  }
  if (head.rfind(kAgeMagic, 0) != 0) return;  // not encrypted
  AgeDecryptor probe = make_decryptor(keys, entry);
  try {
    std::size_t used = probe.write_header(head.data(), head.size());
    if (!probe.header_done() || used == 0)
      throw OperationError("age: the header of " + entry.data_key + " is incomplete");
  } catch (const OperationError& e) {
    throw OperationError("cannot decrypt backup " + entry.id + " of " + quote_name(entry.db) + ": " + e.what());
  }
}

std::uint64_t read_dump(Storage& storage, const BackupEntry& entry, const Manifest* m, const DecryptionKeys& keys,
                        const ByteSink& out, const ProgressCallback& progress_cb, const std::string& label) {
  Sha256 sha;
  Unpacker unpack(entry, out);
  ByteSink to_unpack = [&](const char* data, std::size_t n) { unpack.write(data, n); };
  std::optional<AgeDecryptor> decryptor;
  bool decided = false;
  std::uint64_t fetched = 0;
  std::string head;  // the first bytes, until the format is known
  Progress progress(label + rate_cap_note(storage.max_download_rate()), m ? m->stored_bytes : entry.stored_bytes,
                    progress_cb);
  auto feed = [&](const char* data, std::size_t n) {
    if (decryptor) decryptor->write(data, n, to_unpack);
    else unpack.write(data, n);
  };
  try {
    storage.get_stream(entry.data_key, [&](const char* data, std::size_t n) {
      throw_if_cancelled();
      sha.update(data, n);
      fetched += n;
      progress.update(fetched);
      if (!decided) {
        head.append(data, n);
        if (head.size() < kAgeMagic.size()) return;
        if (head.rfind(kAgeMagic, 0) == 0) decryptor.emplace(make_decryptor(keys, entry));
        decided = true;
        feed(head.data(), head.size());
        head.clear();
        return;
      }
      feed(data, n);
    });
    if (!decided && !head.empty()) feed(head.data(), head.size());
    if (decryptor) decryptor->finish(to_unpack);
    unpack.finish();
    if (fetched == 0) throw OperationError("the stored object " + entry.data_key + " is empty");
  } catch (const CancelledError&) {
    throw;
  } catch (const ConsumerFailed&) {
    throw;
  } catch (const StorageError& e) {
    throw OperationError(std::string("cannot read backup ") + entry.id + " of " + quote_name(entry.db) + ": " +
                         e.what());
  } catch (const std::exception& e) {
    // Plain words for the reader (an accountant in the bot sees this); details in the log.
    log::warn("backup " + entry.id + " of " + quote_name(entry.db) + ": " + e.what());
    throw OperationError("backup " + entry.id + " of " + quote_name(entry.db) +
                         " is damaged or cannot be decrypted (" + e.what() + ") — choose an older backup");
  }
  progress.finish();
  if (m) {
    std::string digest = sha.hex_digest();
    if (fetched != m->stored_bytes || digest != m->sha256) {
      log::warn("backup " + entry.id + " of " + quote_name(entry.db) + ": the stored object " + entry.data_key +
                " has " + std::to_string(fetched) + " bytes with SHA-256 " + digest + ", its manifest says " +
                std::to_string(m->stored_bytes) + " bytes with SHA-256 " + m->sha256);
      throw OperationError("backup " + entry.id + " of " + quote_name(entry.db) +
                           " is damaged: the stored file does not match the checksum recorded when it was made — "
                           "choose an older backup");
    }
  }
  return fetched;
}

std::string read_toc(Storage& storage, const BackupEntry& entry, const Manifest* m, const DecryptionKeys& keys,
                     const PgTools& tools, bool verbose) {
  std::string toc;
  {
    ProcessSpec spec = pg_restore_list(tools);
    if (verbose) spec.args.push_back("--verbose");
    ArchiveReader list(spec, [&](const char* d, std::size_t n) { toc.append(d, n); },
                       true);
    try {
      read_dump(storage, entry, m, keys,
                [&](const char* d, std::size_t n) {
                  list.write(d, n);
                  if (list.stopped()) throw EnoughBytes{};
                },
                {}, "read " + entry.db + " " + entry.id);
    } catch (const EnoughBytes&) {
      // pg_restore has the whole table of contents: the rest of the object is not needed.
    } catch (const OperationError&) {
      // The same error, or pg_restore's own, is reported below only if the list failed.
      if (!list.stopped()) throw;
    }
    if (list.finish() != 0)
      throw OperationError("the table of contents of backup " + entry.id + " of " + quote_name(entry.db) +
                           " is unreadable (pg_restore --list: " + list.error_text() + ")");
  }
  return toc;
}

std::vector<std::string> toc_owners(const std::string& toc) {
  std::vector<std::string> owners;
  std::size_t pos = 0;
  while (pos < toc.size()) {
    std::size_t end = toc.find('\n', pos);
    if (end == std::string::npos) end = toc.size();
    std::string line = toc.substr(pos, end - pos);
    pos = end + 1;
    // "<id>; <catalog> <oid> <type> <schema> <name> <owner>"; no owner: a trailing space.
    if (line.empty() || line[0] == ';' || line.back() == ' ') continue;
    std::size_t space = line.rfind(' ');
    std::size_t fields = static_cast<std::size_t>(std::count(line.begin(), line.end(), ' '));
    if (space == std::string::npos || fields < 5) continue;
    std::string owner = line.substr(space + 1);
    if (std::find(owners.begin(), owners.end(), owner) == owners.end()) owners.push_back(owner);
  }
  return owners;
}

std::optional<Manifest> load_manifest(Storage& storage, const BackupEntry& entry) {
  if (entry.legacy) return std::nullopt;
  // A bounded read: an object that grows past the bound stops the download there, whatever
  // its listed size says, so a planted 1 GB "manifest" costs no more than kMaxManifestBytes.
  std::string text;
  try {
    storage.get_stream(entry.manifest_key, [&](const char* data, std::size_t n) {
      if (text.size() + n > kMaxManifestBytes) throw EnoughBytes{};
      text.append(data, n);
    });
  } catch (const EnoughBytes&) {
    throw OperationError("manifest " + entry.manifest_key + " is larger than " + human_bytes(kMaxManifestBytes) +
                         ", too large to be a BackupBuddy manifest (a few KiB) — it was not read; the backup " +
                         entry.id + " of " + quote_name(entry.db) + " cannot be trusted");
  }
  Manifest m = manifest_from_json(text, entry.manifest_key);
  if (m.database != entry.db || m.data_key != entry.data_key || m.id != entry.id)
    throw OperationError("manifest " + entry.manifest_key + " describes another object (" + quote_name(m.data_key) + " of " +
                         quote_name(m.database) + ") — the backup cannot be trusted");
  return m;
}

}  // namespace bb
