// Permission inspection of secret files (see file_exposure.h).
#include "util/file_exposure.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace bb {
namespace {

constexpr int kMaxLinkHops = 40;  // as the kernel's own limit (ELOOP)

std::string folder_of(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The target a symbolic link names, as a path usable from here; "" if unreadable.
std::string read_link(const std::string& link) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  if (n < 0) return "";
  std::string target(buf, static_cast<std::size_t>(n));
  if (target.empty()) return "";
  if (target.front() != '/') target = folder_of(link) + "/" + target;
  return target;
}

}  // namespace

std::optional<FileExposure> inspect_file_exposure(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  FileExposure out;
  out.mode = st.st_mode & 07777;
  out.world_readable = (st.st_mode & S_IROTH) != 0;
  struct stat link{};
  if (::lstat(path.c_str(), &link) != 0 || !S_ISLNK(link.st_mode)) return out;

  char resolved[PATH_MAX];
  out.link_target = ::realpath(path.c_str(), resolved) ? resolved : path;
  // Every hop of the chain: a target in a folder that every user may write can be
  // replaced by any of them (so can the final file if it is itself world-writable).
  std::string current = path;
  for (int hop = 0; hop < kMaxLinkHops; ++hop) {
    struct stat cur{};
    if (::lstat(current.c_str(), &cur) != 0 || !S_ISLNK(cur.st_mode)) break;
    std::string target = read_link(current);
    if (target.empty()) break;
    std::string folder = folder_of(target);
    struct stat dir{};
    if (::stat(folder.c_str(), &dir) == 0 && (dir.st_mode & S_IWOTH)) {
      char real_folder[PATH_MAX];
      out.writable_by_anyone = ::realpath(folder.c_str(), real_folder) ? real_folder : folder;
      out.writable_mode = dir.st_mode & 07777;
      return out;
    }
    current = target;
  }
  if (st.st_mode & S_IWOTH) {
    out.writable_by_anyone = out.link_target;
    out.writable_mode = out.mode;
  }
  return out;
}

std::string format_mode(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

}  // namespace bb
