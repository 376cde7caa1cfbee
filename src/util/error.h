// The one error currency of BackupBuddy: a small exception hierarchy, each class
// mapped to one process exit code in main.cpp. Every message names what failed, on
// which object, and what to do next. Messages never contain secrets.
#pragma once

#include <stdexcept>
#include <string>

namespace bb {

// Exit codes of the backupbuddy binary (a contract for scripts and cron).
enum ExitCode : int { kExitOk = 0, kExitFailed = 1, kExitUsage = 2, kExitLockHeld = 3 };

// Base of all BackupBuddy errors; carries the exit code the process should end with.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int exit_code = kExitFailed)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Bad configuration file or command-line usage (exit 2).
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message) : Error(message, kExitUsage) {}
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
  explicit StorageError(const std::string& message, bool transient = false, int http_status = 0)
      : Error(message), transient_(transient), http_status_(http_status) {}
  bool transient() const { return transient_; }
  int http_status() const { return http_status_; }

 private:
  bool transient_;
  int http_status_;
};

// An object that was asked for does not exist.
class NotFoundError : public StorageError {
 public:
  explicit NotFoundError(const std::string& message) : StorageError(message, false, 404) {}
};

// PostgreSQL (libpq session, pg_dump, pg_restore) failed.
class PgError : public Error {
 public:
  explicit PgError(const std::string& message) : Error(message) {}
};

// Any other failed operation (bad data, checksum mismatch, child process failure).
class OperationError : public Error {
 public:
  explicit OperationError(const std::string& message) : Error(message) {}
};

// The run was asked to stop (SIGINT/SIGTERM); work in flight is undone.
class CancelledError : public Error {
 public:
  CancelledError() : Error("interrupted: stopped by a signal; work in flight was undone") {}
};

}  // namespace bb
