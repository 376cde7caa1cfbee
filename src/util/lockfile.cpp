// LockFile over flock(2).
#include "util/lockfile.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "util/error.h"

namespace bb {

LockFile::LockFile(const std::string& path, const std::string& command) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw Error("cannot open lock file " + path + ": " + std::strerror(errno) +
                " — check [backup] state_dir and its permissions");
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string holder;
    char buf[512];
    ssize_t n = pread(fd_, buf, sizeof buf - 1, 0);
    if (n > 0) holder.assign(buf, static_cast<std::size_t>(n));
    while (!holder.empty() && holder.back() == '\n') holder.pop_back();
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw LockHeldError("another BackupBuddy run is in progress (" + (holder.empty() ? "holder unknown" : holder) +
                          "; lock " + path + ") — wait for it to finish; it is released automatically when it ends");
    throw Error("cannot lock " + path + ": " + std::strerror(err));
  }
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  char stamp[64];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S %Z", &tm);
  std::string info = "pid " + std::to_string(getpid()) + " on " + host + ", `backupbuddy " + command + "` since " + stamp + "\n";
  if (ftruncate(fd_, 0) == 0) {
    ssize_t ignored = pwrite(fd_, info.data(), info.size(), 0);
    (void)ignored;
  }
}

LockFile::~LockFile() {
  if (fd_ >= 0) {
    if (ftruncate(fd_, 0) != 0) {
    }
    ::close(fd_);  // releases the flock
  }
}

}  // namespace bb
