// Storage: where backup objects live. One interface, two drivers (local folder, S3).
// Keys passed in and returned are relative to the configured prefix; the driver adds
// and strips it, so commands never know where the bytes go.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stream/sink.h"

namespace bb {

// One stored object as listed.
struct ObjectInfo {
  std::string key;  // relative to the prefix
  std::uint64_t size = 0;
  std::chrono::system_clock::time_point last_modified{};
};

// A multipart upload (or temp file) still open, as found by Storage::list_uploads.
struct PendingUpload {
  std::string key;  // relative to the prefix
  std::string upload_id;
  std::chrono::system_clock::time_point initiated{};
};

// A streaming object writer. Bytes become visible under the key only after commit(), all
// at once (an object already under the key stays readable until then); destroying an
// uncommitted writer aborts (AbortMultipartUpload / removes the temp file), so a failed
// backup never leaves a half object under its final name. Every promise in this file is
// checked on every driver by the contract suite in tests/contract/.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  // Appends bytes; may block while earlier parts are uploading (bounded memory).
  virtual void write(const char* data, std::size_t size) = 0;
  // Makes the object visible. Throws StorageError; after a throw the upload is aborted.
  virtual void commit() = 0;
  // Aborts explicitly (idempotent); also done by the destructor when not committed.
  // write() and commit() after an abort throw StorageError.
  virtual void abort() noexcept = 0;
  // Bytes written so far.
  virtual std::uint64_t bytes_written() const = 0;
};

// Where backups are stored.
class Storage {
 public:
  virtual ~Storage() = default;
  // Human-readable location for messages, e.g. "s3://bucket/pg/ at https://host" (no secrets).
  virtual std::string describe() const = 0;
  // Opens a streaming writer. size_hint: expected size in bytes if known (0 = unknown).
  virtual std::unique_ptr<ObjectWriter> open_writer(const std::string& key,
                                                    std::uint64_t size_hint = 0) = 0;
  // Writes a small object in one request (manifests, probes).
  virtual void put(const std::string& key, std::string_view data) = 0;
  // Reads a small object whole. Throws NotFoundError if absent.
  virtual std::string get(const std::string& key) = 0;
  // Streams an object into sink; transient failures are retried by resuming at the
  // byte offset already delivered, so sink sees every byte exactly once, in order.
  // Throws NotFoundError if absent.
  virtual void get_stream(const std::string& key, const ByteSink& sink) = 0;
  // Size and time of one object, or nullopt if absent (a prefix of other keys is absent).
  virtual std::optional<ObjectInfo> head(const std::string& key) = 0;
  // Every object whose key starts with prefix (relative), in byte-wise key order; pages
  // through the whole listing. Unfinished uploads are not objects.
  virtual std::vector<ObjectInfo> list(const std::string& prefix) = 0;
  // Deletes objects (batched where the backend allows). Absent keys are not an error.
  virtual void remove(const std::vector<std::string>& keys) = 0;
  // Unfinished uploads under prefix, in no particular order (S3 multipart uploads, listed
  // once a writer has sent its first part; local temp files, from open_writer on).
  virtual std::vector<PendingUpload> list_uploads(const std::string& prefix) = 0;
  // Aborts one unfinished upload; one already gone is not an error.
  virtual void abort_upload(const PendingUpload& upload) = 0;
  // The caps on the total transfer rate in bytes/s ([storage] max_upload_rate /
  // max_download_rate); 0: none.
  virtual std::uint64_t max_upload_rate() const { return 0; }
  virtual std::uint64_t max_download_rate() const { return 0; }
};

}  // namespace bb

namespace bb {
struct StorageConfig;
// The driver [storage] type names (local folder or S3).
std::unique_ptr<Storage> make_storage(const StorageConfig& cfg);
}  // namespace bb
