// MemoryStorage: a FAKE Storage for unit tests only (an in-memory map with settable
// object times and pending uploads, and a journal of every deletion in order). The real
// drivers are tested against a real folder and a real S3 server.
#pragma once

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
  std::unique_ptr<ObjectWriter> open_writer(const std::string&, std::uint64_t) override {
    throw StorageError("MemoryStorage: writers are not faked");
  }
  void put(const std::string& key, std::string_view data) override { add(key, std::chrono::system_clock::now(), std::string(data)); }
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
  void abort_upload(const PendingUpload& upload) override { aborted.push_back(upload.upload_id); }
};

}  // namespace bb::testing
