// Local-folder storage over POSIX calls. Temp files are "<final name>.partial-<pid>-<hex>"
// in the object's own directory (so rename is atomic); listing hides them, and
// list_uploads/abort_upload expose them for cleanup after a crash.
#include "storage/local.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <random>
#include <sstream>

#include "util/error.h"

namespace bb {
namespace {

constexpr std::string_view kPartialMarker = ".partial-";
constexpr std::size_t kIoChunkBytes = 1 << 20;

std::string fix_for(int err) {
  if (err == ENOSPC || err == EDQUOT) {
    return "free space (or raise the quota) on the file system holding storage.path";
  }
  return "check storage.path and its permissions";
}

[[noreturn]] void throw_io(const std::string& action, const std::string& path, int err) {
  throw StorageError("local storage: cannot " + action + " " + path + ": " + std::strerror(err) +
                     " — " + fix_for(err));
}

std::chrono::system_clock::time_point mtime_of(const struct stat& st) {
  auto since_epoch =
      std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

[[noreturn]] void throw_bad_key(std::string_view kind, std::string_view key, std::string_view why) {
  throw StorageError("local storage: invalid " + std::string(kind) + " \"" + std::string(key) +
                     "\": " + std::string(why) + " — keys are relative paths inside storage.path");
}

// A relative path made of non-empty components, none "." or "..". allow_trailing_slash
// for listing prefixes ("db/"); the last component of a prefix may be partial ("db/2024").
void check_relative(std::string_view kind, std::string_view path, bool allow_empty,
                    bool allow_trailing_slash) {
  if (path.empty()) {
    if (allow_empty) return;
    throw_bad_key(kind, path, "it is empty");
  }
  if (path.front() == '/') throw_bad_key(kind, path, "it starts with '/'");
  if (path.find('\0') != std::string_view::npos) throw_bad_key(kind, path, "it contains NUL");
  auto parts = split_path(path);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    bool last = i + 1 == parts.size();
    if (parts[i] == "..") throw_bad_key(kind, path, "\"..\" components are not allowed");
    if (parts[i] == ".") throw_bad_key(kind, path, "\".\" components are not allowed");
    if (parts[i].empty() && !(last && allow_trailing_slash)) {
      throw_bad_key(kind, path, "it has an empty component (\"//\" or a trailing '/')");
    }
  }
}

void check_key(std::string_view key) {
  check_relative("object key", key, false, false);
  std::string_view name = key.substr(key.rfind('/') + 1);
  if (name.find(kPartialMarker) != std::string_view::npos) {
    throw_bad_key("object key", key, "\".partial-\" is reserved for temporary files");
  }
}

bool is_partial_name(std::string_view file_name) {
  return file_name.find(kPartialMarker) != std::string_view::npos;
}

std::string parent_of(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void fsync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_io("open directory", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  // Some file systems cannot fsync directories; durability is then theirs to give.
  if (rc != 0 && err != EINVAL && err != ENOTSUP) throw_io("fsync directory", dir, err);
}

// mkdir -p; returns the directories it created, outermost first.
std::vector<std::string> make_directories(const std::string& dir) {
  std::vector<std::string> created;
  std::size_t pos = 0;
  for (;;) {
    pos = dir.find('/', pos + 1);
    std::string sub = dir.substr(0, pos);
    if (!sub.empty()) {
      if (::mkdir(sub.c_str(), 0750) == 0) {
        created.push_back(sub);
      } else if (errno != EEXIST) {
        throw_io("create directory", sub, errno);
      }
    }
    if (pos == std::string::npos) break;
  }
  return created;
}

std::string random_suffix() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  std::ostringstream text;
  text << std::hex << rng();
  return text.str();
}

// Writes all bytes; returns 0 or the errno of the failure.
int write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    ssize_t put = ::write(fd, data, n);
    if (put < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += put;
    n -= static_cast<std::size_t>(put);
  }
  return 0;
}

class LocalWriter : public ObjectWriter {
 public:
  explicit LocalWriter(std::string final_path) : final_(std::move(final_path)) {
    const std::string dir = parent_of(final_);
    temp_ =
        final_ + std::string(kPartialMarker) + std::to_string(::getpid()) + "-" + random_suffix();
    // A concurrent remove() may prune an empty directory between mkdir and open: retry.
    for (int attempt = 0;; ++attempt) {
      auto created = make_directories(dir);
      created_dirs_.insert(created_dirs_.end(), created.begin(), created.end());
      fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
      if (fd_ >= 0) break;
      if (errno != ENOENT || attempt >= 3) throw_io("create", temp_, errno);
    }
    buffer_.reserve(kIoChunkBytes);
  }

  ~LocalWriter() override { abort(); }

  void write(const char* data, std::size_t size) override {
    if (fd_ < 0) {
      throw StorageError("local storage: writing " + final_ +
                         " after it was committed or aborted — a bug in BackupBuddy");
    }
    if (buffer_.size() + size > kIoChunkBytes) flush();
    if (size >= kIoChunkBytes) {
      write_or_abort(data, size);
    } else {
      buffer_.insert(buffer_.end(), data, data + size);
    }
    written_ += size;
  }

  void commit() override {
    if (committed_) return;
    if (fd_ < 0) {
      throw StorageError("local storage: committing " + final_ +
                         " after it was aborted — a bug in BackupBuddy");
    }
    flush();
    if (::fsync(fd_) != 0) fail("fsync", temp_, errno);
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) fail("close", temp_, errno);
    if (::rename(temp_.c_str(), final_.c_str()) != 0) fail("rename into place", final_, errno);
    committed_ = true;
    try {
      fsync_directory(parent_of(final_));
      for (auto it = created_dirs_.rbegin(); it != created_dirs_.rend(); ++it) {
        fsync_directory(parent_of(*it));
      }
    } catch (...) {
      // Not durable: take the object back rather than claim success.
      ::unlink(final_.c_str());
      throw;
    }
  }

  void abort() noexcept override {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    if (!committed_ && !temp_.empty()) {
      ::unlink(temp_.c_str());
      temp_.clear();
    }
    buffer_.clear();
  }

  std::uint64_t bytes_written() const override { return written_; }

 private:
  // path by value: abort() clears temp_, which callers may pass.
  [[noreturn]] void fail(const std::string& action, std::string path, int err) {
    abort();
    throw_io(action, path, err);
  }

  void write_or_abort(const char* data, std::size_t size) {
    if (int err = write_all(fd_, data, size); err != 0) fail("write", temp_, err);
  }

  void flush() {
    if (buffer_.empty()) return;
    write_or_abort(buffer_.data(), buffer_.size());
    buffer_.clear();
  }

  std::string final_;
  std::string temp_;
  std::vector<std::string> created_dirs_;
  std::vector<char> buffer_;
  int fd_ = -1;
  bool committed_ = false;
  std::uint64_t written_ = 0;
};

// Owns an open read-only fd of a regular file.
class ReadFile {
 public:
  // Opens path; returns false if it is absent (or not a regular file).
  bool open(const std::string& path) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return false;
      throw_io("open", path, errno);
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0) throw_io("stat", path, errno);
    if (!S_ISREG(st.st_mode)) return false;
    size_ = static_cast<std::uint64_t>(st.st_size);
    return true;
  }
  ~ReadFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  std::size_t read(char* buf, std::size_t n) {
    for (;;) {
      ssize_t got = ::read(fd_, buf, n);
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno != EINTR) throw_io("read", path_, errno);
    }
  }
  std::uint64_t size() const { return size_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

struct FoundFile {
  std::string relative;  // to the storage base, '/'-separated
  struct stat st;
};

// Every regular file under base/dir (recursively; symlinked directories not followed).
void walk(const std::string& base, const std::string& dir, std::vector<FoundFile>& out) {
  const std::string path = dir.empty() ? base : base + "/" + dir;
  DIR* handle = ::opendir(path.c_str());
  if (handle == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return;
    throw_io("list directory", path, errno);
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* entry = ::readdir(handle)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  int err = errno;
  ::closedir(handle);
  if (err != 0) throw_io("list directory", path, err);
  for (const auto& name : names) {
    std::string relative = dir.empty() ? name : dir + "/" + name;
    struct stat st {};
    if (::lstat((base + "/" + relative).c_str(), &st) != 0) {
      if (errno == ENOENT) continue;  // removed meanwhile
      throw_io("stat", base + "/" + relative, errno);
    }
    if (S_ISDIR(st.st_mode)) {
      walk(base, relative, out);
    } else if (S_ISLNK(st.st_mode)) {
      // A symlink to a file counts as that file (never followed into directories).
      if (::stat((base + "/" + relative).c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        out.push_back({relative, st});
      }
    } else if (S_ISREG(st.st_mode)) {
      out.push_back({relative, st});
    }
  }
}

class LocalStorage : public Storage {
 public:
  LocalStorage(std::string root, std::string prefix)
      : root_(std::move(root)), prefix_(std::move(prefix)) {
    if (root_.empty()) {
      throw StorageError("local storage: storage.path is empty — set it to a directory");
    }
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
    if (!prefix_.empty() && prefix_.back() != '/') prefix_ += '/';
    check_relative("storage prefix", prefix_, true, true);
    base_ = prefix_.empty()
                ? root_
                : root_ + (root_ == "/" ? "" : "/") + prefix_.substr(0, prefix_.size() - 1);
  }

  std::string describe() const override {
    char resolved[PATH_MAX];
    std::string shown = base_;
    if (base_.front() != '/' && ::getcwd(resolved, sizeof resolved) != nullptr) {
      shown = std::string(resolved) + "/" + base_;
    }
    return "local folder " + shown + "/";
  }

  std::unique_ptr<ObjectWriter> open_writer(const std::string& key, std::uint64_t) override {
    check_key(key);
    return std::make_unique<LocalWriter>(path_of(key));
  }

  void put(const std::string& key, std::string_view data) override {
    auto writer = open_writer(key, data.size());
    writer->write(data.data(), data.size());
    writer->commit();
  }

  std::string get(const std::string& key) override {
    check_key(key);
    ReadFile file;
    if (!file.open(path_of(key))) throw not_found(key);
    std::string data;
    data.reserve(static_cast<std::size_t>(file.size()));
    std::vector<char> buf(kIoChunkBytes);
    while (std::size_t n = file.read(buf.data(), buf.size())) data.append(buf.data(), n);
    return data;
  }

  void get_stream(const std::string& key, const ByteSink& sink) override {
    check_key(key);
    ReadFile file;
    if (!file.open(path_of(key))) throw not_found(key);
    std::vector<char> buf(kIoChunkBytes);
    while (std::size_t n = file.read(buf.data(), buf.size())) sink(buf.data(), n);
  }

  std::optional<ObjectInfo> head(const std::string& key) override {
    check_key(key);
    const std::string path = path_of(key);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
      throw_io("stat", path, errno);
    }
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    return ObjectInfo{key, static_cast<std::uint64_t>(st.st_size), mtime_of(st)};
  }

  std::vector<ObjectInfo> list(const std::string& prefix) override {
    std::vector<ObjectInfo> objects;
    for (const auto& file : files_under(prefix)) {
      std::string_view name = std::string_view(file.relative).substr(file.relative.rfind('/') + 1);
      if (is_partial_name(name) || !file.relative.starts_with(prefix)) continue;
      objects.push_back(
          {file.relative, static_cast<std::uint64_t>(file.st.st_size), mtime_of(file.st)});
    }
    std::sort(objects.begin(), objects.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return objects;
  }

  void remove(const std::vector<std::string>& keys) override {
    for (const auto& key : keys) check_key(key);
    for (const auto& key : keys) {
      const std::string path = path_of(key);
      if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
        throw_io("delete", path, errno);
      }
      prune_empty_directories(key);
    }
  }

  std::vector<PendingUpload> list_uploads(const std::string& prefix) override {
    std::vector<PendingUpload> uploads;
    for (const auto& file : files_under(prefix)) {
      std::size_t name_start = file.relative.rfind('/') + 1;
      std::size_t marker = file.relative.rfind(kPartialMarker);
      if (marker == std::string::npos || marker < name_start) continue;
      std::string key = file.relative.substr(0, marker);
      if (!key.starts_with(prefix)) continue;
      uploads.push_back({key, file.relative, mtime_of(file.st)});
    }
    std::sort(uploads.begin(), uploads.end(), [](const PendingUpload& a, const PendingUpload& b) {
      return a.upload_id < b.upload_id;
    });
    return uploads;
  }

  void abort_upload(const PendingUpload& upload) override {
    check_relative("temporary file", upload.upload_id, false, false);
    std::string_view name =
        std::string_view(upload.upload_id).substr(upload.upload_id.rfind('/') + 1);
    if (!is_partial_name(name)) {
      throw_bad_key("temporary file", upload.upload_id,
                    "it is not a \".partial-\" temporary file (use remove for objects)");
    }
    const std::string path = base_ + "/" + upload.upload_id;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_io("delete", path, errno);
    prune_empty_directories(upload.upload_id);
  }

 private:
  std::string path_of(const std::string& key) const { return base_ + "/" + key; }

  NotFoundError not_found(const std::string& key) const {
    return NotFoundError("local storage: object " + key + " not found at " + path_of(key));
  }

  // Files in the deepest directory the listing prefix names fully.
  std::vector<FoundFile> files_under(const std::string& prefix) const {
    check_relative("listing prefix", prefix, true, true);
    std::size_t slash = prefix.rfind('/');
    std::string dir = slash == std::string::npos ? "" : prefix.substr(0, slash);
    std::vector<FoundFile> files;
    walk(base_, dir, files);
    return files;
  }

  // Removes now-empty directories between the key's file and the base (best effort).
  void prune_empty_directories(const std::string& key) const {
    std::string dir = key;
    for (;;) {
      std::size_t slash = dir.rfind('/');
      if (slash == std::string::npos) break;
      dir.resize(slash);
      if (::rmdir((base_ + "/" + dir).c_str()) != 0) break;
    }
  }

  std::string root_;
  std::string prefix_;
  std::string base_;  // root + prefix, without a trailing '/'
};

}  // namespace

std::unique_ptr<Storage> make_local_storage(const std::string& root, const std::string& prefix) {
  return std::make_unique<LocalStorage>(root, prefix);
}

}  // namespace bb
