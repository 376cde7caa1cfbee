// LockFile: one `backup` run at a time per machine. An flock(2) on a file in the state
// directory, released by the kernel when the process dies, so a crash never leaves a
// stale lock. The file names the holder (pid, host, command, start time) for the message
// a second run prints.
#pragma once

#include <string>

namespace bb {

class LockFile {
 public:
  // Takes the lock or throws LockHeldError naming the holder (exit 3).
  LockFile(const std::string& path, const std::string& command);
  ~LockFile();
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace bb
