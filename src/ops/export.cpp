// `backupbuddy export`.
#include "ops/export.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ops/reader.h"
#include "ops/restore.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"

namespace bb {
namespace {

void write_all(int fd, const char* data, std::size_t n, const std::string& where) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw ConsumerFailed("cannot write " + where + ": " + std::strerror(errno));
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

// The file being written under a temporary name; removed unless committed.
class PendingFile {
 public:
  explicit PendingFile(const std::string& target) : target_(target), path_(target + ".backupbuddy-XXXXXX") {
    fd_ = mkstemp(path_.data());
    if (fd_ < 0)
      throw OperationError("cannot create " + path_ + ": " + std::strerror(errno) +
                           " — choose a folder you can write with -o");
  }
  ~PendingFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;
  int fd() const { return fd_; }
  void commit() {
    if (::fsync(fd_) != 0 || ::fchmod(fd_, 0600) != 0)
      throw OperationError("cannot write " + target_ + ": " + std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
    if (::rename(path_.c_str(), target_.c_str()) != 0)
      throw OperationError("cannot rename " + path_ + " to " + target_ + ": " + std::strerror(errno));
    committed_ = true;
  }

 private:
  std::string target_;
  std::string path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

ExportResult export_backup(RunContext& ctx, const ExportRequest& req, const ProgressCallback& progress) {
  auto t0 = std::chrono::steady_clock::now();
  if (req.output.empty()) throw ConfigError("export: give the output file with -o FILE (or -o - for standard output)");
  bool to_stdout = req.output == "-";
  struct stat st {};
  if (!to_stdout && ::stat(req.output.c_str(), &st) == 0)
    throw OperationError("export: " + req.output + " already exists; remove it or choose another file with -o");
  ChosenBackup chosen = choose_backup(ctx, req.source, req.backup_id, req.at, "export");
  const BackupEntry& entry = *chosen.entry;
  ExportResult r;
  r.source = req.source;
  r.backup_id = entry.id;
  r.backup_time = entry.time;
  r.output = req.output;
  const Manifest* m = chosen.manifest ? &*chosen.manifest : nullptr;
  std::string label = "export " + entry.db + " " + entry.id;
  try {
    if (to_stdout) {
      read_dump(ctx.storage(), entry, m, chosen.keys,
                [&](const char* d, std::size_t n) {
                  write_all(STDOUT_FILENO, d, n, "standard output");
                  r.bytes += n;
                },
                progress, label);
    } else {
      PendingFile file(req.output);
      read_dump(ctx.storage(), entry, m, chosen.keys,
                [&](const char* d, std::size_t n) {
                  write_all(file.fd(), d, n, req.output);
                  r.bytes += n;
                },
                progress, label);
      file.commit();
    }
  } catch (const ConsumerFailed& e) {
    throw OperationError(std::string("export of backup ") + entry.id + " of " + quote_name(req.source) +
                         " failed: " + e.what());
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace bb
