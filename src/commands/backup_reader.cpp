// Reading stored backups back.
#include "commands/backup_reader.h"

#include "stream/sha256.h"
#include "stream/zstd.h"
#include "util/error.h"
#include "util/format.h"
#include "util/signals.h"

namespace bb {
namespace {

enum class Format { kUnknown, kZstd, kCustom };

// What the stored object holds, from its first bytes: zstd (our layout) or a plain
// pg_dump custom-format archive (the old Python tool's objects).
Format sniff(std::string_view head, const BackupEntry& entry) {
  static const std::string_view zstd_magic("\x28\xB5\x2F\xFD", 4);
  if (head.size() >= 4 && head.substr(0, 4) == zstd_magic) return Format::kZstd;
  if (head.size() >= 5 && head.substr(0, 5) == "PGDMP") return Format::kCustom;
  throw OperationError("the stored object " + entry.data_key +
                       " is neither zstd-compressed nor a pg_dump custom-format archive — it cannot be restored");
}

// Streams a stored object as a plain pg_dump archive into `out`: checks its SHA-256 and
// size against the manifest (at the end: a mismatch throws, so the caller drops what it
// built), decompresses zstd, passes legacy plain dumps through. Returns bytes fetched.
}  // namespace

std::uint64_t read_dump(Storage& storage, const BackupEntry& entry, const Manifest* m, const ByteSink& out,
                        const ProgressCallback& progress_cb, const std::string& label) {
  Sha256 sha;
  ZstdDecompressor decompressor;
  Format format = Format::kUnknown;
  std::uint64_t fetched = 0;
  Progress progress(label, m ? m->stored_bytes : entry.stored_bytes, progress_cb);
  try {
    storage.get_stream(entry.data_key, [&](const char* data, std::size_t n) {
      throw_if_cancelled();
      sha.update(data, n);
      fetched += n;
      if (format == Format::kUnknown) format = sniff(std::string_view(data, n), entry);
      if (format == Format::kZstd) decompressor.write(data, n, out);
      else out(data, n);
      progress.update(fetched);
    });
    if (format == Format::kZstd) decompressor.finish();
    if (fetched == 0) throw OperationError("the stored object " + entry.data_key + " is empty");
  } catch (const CancelledError&) {
    throw;
  } catch (const ConsumerFailed&) {
    throw;
  } catch (const StorageError& e) {
    throw OperationError(std::string("cannot read backup ") + entry.id + " of " + quote_name(entry.db) + ": " +
                         e.what());
  } catch (const std::exception& e) {
    throw OperationError("backup " + entry.id + " of " + quote_name(entry.db) + " is damaged (" + e.what() +
                         ") — the archive was not created; restore another backup (--backup ID)");
  }
  progress.finish();
  if (m) {
    std::string digest = sha.hex_digest();
    if (fetched != m->stored_bytes || digest != m->sha256)
      throw OperationError("backup " + entry.id + " of " + quote_name(entry.db) + " is damaged: the stored object " +
                           entry.data_key + " has " + std::to_string(fetched) + " bytes with SHA-256 " + digest +
                           ", but its manifest says " + std::to_string(m->stored_bytes) + " bytes with SHA-256 " +
                           m->sha256 + " — restore another backup (--backup ID)");
  }
  return fetched;
}


std::optional<Manifest> load_manifest(Storage& storage, const BackupEntry& entry) {
  if (entry.legacy) return std::nullopt;
  Manifest m = manifest_from_json(storage.get(entry.manifest_key), entry.manifest_key);
  if (m.database != entry.db || m.data_key != entry.data_key)
    throw OperationError("manifest " + entry.manifest_key + " describes another object (" + m.data_key + " of " +
                         quote_name(m.database) + ") — the backup cannot be trusted");
  return m;
}

}  // namespace bb
