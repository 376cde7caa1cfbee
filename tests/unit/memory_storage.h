// MemoryStorage: a FAKE Storage for unit tests only (an in-memory map with settable
// object times and pending uploads, and a journal of every deletion in order). The real
// drivers are tested against a real folder and a real S3 server; all three pass the
// storage contract suite (tests/contract/), so the fake behaves as the drivers do.
#pragma once

#include <algorithm>
#include <map>

#include "storage/storage.h"
#include "util/error.h"

namespace bb::testing {

class MemoryStorage : public Storage {
 public:
  struct Object {
    std::string data;
    std::chrono::system_clock::time_point modified;
  };
  std::map<std::string, Object> objects;
  std::vector<PendingUpload> uploads;
  std::vector<std::string> deletions;  // every removed key, in call order
  std::vector<std::string> aborted;    // upload ids

  void add(const std::string& key, std::chrono::system_clock::time_point modified = std::chrono::system_clock::now(),
           std::string data = "x") {
    objects[key] = Object{std::move(data), modified};
  }

  std::string describe() const override { return "memory (test fake)"; }
  // A writer is an unfinished upload (listed by list_uploads) until commit or abort.
  std::unique_ptr<ObjectWriter> open_writer(const std::string& key, std::uint64_t) override {
    std::string id = "memory-upload-" + std::to_string(++upload_serial_);
    uploads.push_back({key, id, std::chrono::system_clock::now()});
    return std::make_unique<Writer>(*this, key, std::move(id));
  }
  bool fail_puts = false;  // put() throws StorageError, as an unreachable store would
  void put(const std::string& key, std::string_view data) override {
    if (fail_puts) throw StorageError("memory store: put refused (fail_puts)");
    add(key, std::chrono::system_clock::now(), std::string(data));
  }
  std::string get(const std::string& key) override {
    auto it = objects.find(key);
    if (it == objects.end()) throw NotFoundError("no " + key);
    return it->second.data;
  }
  void get_stream(const std::string& key, const ByteSink& sink) override {
    std::string d = get(key);
    sink(d.data(), d.size());
  }
  std::optional<ObjectInfo> head(const std::string& key) override {
    auto it = objects.find(key);
    if (it == objects.end()) return std::nullopt;
    return ObjectInfo{key, it->second.data.size(), it->second.modified};
  }
  std::vector<ObjectInfo> list(const std::string& prefix) override {
    std::vector<ObjectInfo> out;
    for (const auto& [k, o] : objects)
      if (k.rfind(prefix, 0) == 0) out.push_back({k, o.data.size(), o.modified});
    return out;
  }
  void remove(const std::vector<std::string>& keys) override {
    for (const auto& k : keys) {
      deletions.push_back(k);
      objects.erase(k);
    }
  }
  std::vector<PendingUpload> list_uploads(const std::string& prefix) override {
    std::vector<PendingUpload> out;
    for (const auto& u : uploads)
      if (u.key.rfind(prefix, 0) == 0) out.push_back(u);
    return out;
  }
  void abort_upload(const PendingUpload& upload) override {
    aborted.push_back(upload.upload_id);
    forget_upload(upload.upload_id);
  }

 private:
  // Buffers the bytes; commit puts them under the key in one step.
  class Writer : public ObjectWriter {
   public:
    Writer(MemoryStorage& store, std::string key, std::string id)
        : store_(store), key_(std::move(key)), id_(std::move(id)) {}
    ~Writer() override { abort(); }
    void write(const char* data, std::size_t size) override {
      if (state_ != kOpen)
        throw StorageError("MemoryStorage: writing " + key_ + " after commit or abort");
      data_.append(data, size);
      written_ += size;
    }
    void commit() override {
      if (state_ != kOpen)
        throw StorageError("MemoryStorage: committing " + key_ + " after commit or abort");
      if (!store_.forget_upload(id_)) {
        state_ = kAborted;
        throw StorageError("MemoryStorage: upload of " + key_ + " was aborted by abort_upload");
      }
      state_ = kCommitted;
      store_.put(key_, data_);
    }
    void abort() noexcept override {
      if (state_ != kOpen) return;
      state_ = kAborted;
      store_.forget_upload(id_);
      data_.clear();
    }
    std::uint64_t bytes_written() const override { return written_; }

   private:
    enum State { kOpen, kCommitted, kAborted };
    MemoryStorage& store_;
    std::string key_;
    std::string id_;
    std::string data_;
    std::uint64_t written_ = 0;
    State state_ = kOpen;
  };

  // Removes an unfinished upload; false when it was not there.
  bool forget_upload(const std::string& id) {
    auto it = std::find_if(uploads.begin(), uploads.end(),
                           [&](const PendingUpload& u) { return u.upload_id == id; });
    if (it == uploads.end()) return false;
    uploads.erase(it);
    return true;
  }

  int upload_serial_ = 0;
};

}  // namespace bb::testing
