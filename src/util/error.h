// The one error currency of BackupBuddy: a small exception hierarchy, each class
// mapped to one process exit code in main.cpp. Every message names what failed, on
// which object, and what to do next. Messages never contain secrets.
#pragma once

#include <stdexcept>
#include <string>

namespace bb {

// Exit codes of the backupbuddy binary (a contract for scripts and cron).
enum ExitCode : int { kExitOk = 0, kExitFailed = 1, kExitUsage = 2, kExitLockHeld = 3 };

// What the user can do about an error, when that depends on where they are. The core names
// the remedy; each front end words it (the command line names its flags, the bot never
// does). kNone: the message says all there is to say.
enum class Remedy {
  kNone,
  kChooseTargetName,     // restore: give the archive database another name
  kShorterTargetName,    // restore: the archive database name is too long
  kRestoreWithoutDisk,   // a parallel restore lacks temporary disk space: stream instead
  kRestoreWithoutOwners, // the backup's owner roles are missing here: restore without owners
  kSeeBackups,           // the backup asked for does not exist: see which ones do
  kSeeArchives,          // the archive asked for does not exist: see which ones do
  kIncludeOtherArchives, // the archive belongs to another configuration's databases
  kNameDatabases,        // nothing to back up: name databases or configure them
  kTestChannels,         // a notification channel is not proven to work: send a test message
};

// Base of all BackupBuddy errors; carries the exit code the process should end with and
// what the user can do about it (rendered by the front end; what() is the plain message).
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int exit_code = kExitFailed, Remedy remedy = Remedy::kNone)
      : std::runtime_error(message), exit_code_(exit_code), remedy_(remedy) {}
  int exit_code() const { return exit_code_; }
  Remedy remedy() const { return remedy_; }

 private:
  int exit_code_;
  Remedy remedy_;
};

// Bad configuration file or command-line usage (exit 2).
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message, Remedy remedy = Remedy::kNone)
      : Error(message, kExitUsage, remedy) {}
};

// Another process holds a lock we need (exit 3).
class LockHeldError : public Error {
 public:
  explicit LockHeldError(const std::string& message) : Error(message, kExitLockHeld) {}
};

// Object storage (S3 or local folder) failed.
class StorageError : public Error {
 public:
  // transient: worth retrying (5xx, throttling, connection reset).
  explicit StorageError(const std::string& message, bool transient = false, int http_status = 0,
                        Remedy remedy = Remedy::kNone)
      : Error(message, kExitFailed, remedy), transient_(transient), http_status_(http_status) {}
  bool transient() const { return transient_; }
  int http_status() const { return http_status_; }

 private:
  bool transient_;
  int http_status_;
};

// An object that was asked for does not exist.
class NotFoundError : public StorageError {
 public:
  explicit NotFoundError(const std::string& message) : StorageError(message, false, 404, Remedy::kSeeBackups) {}
};

// PostgreSQL (libpq session, pg_dump, pg_restore) failed.
class PgError : public Error {
 public:
  explicit PgError(const std::string& message) : Error(message) {}
};

// Any other failed operation (bad data, checksum mismatch, child process failure).
class OperationError : public Error {
 public:
  explicit OperationError(const std::string& message, Remedy remedy = Remedy::kNone)
      : Error(message, kExitFailed, remedy) {}
};

// The run was asked to stop (SIGINT/SIGTERM); work in flight is undone.
class CancelledError : public Error {
 public:
  CancelledError() : Error("interrupted: stopped by a signal; work in flight was undone") {}
};

}  // namespace bb
