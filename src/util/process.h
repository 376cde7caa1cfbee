// Child processes (pg_dump, pg_restore, psql-like tools): spawned with an argv, never
// through a shell; secrets go only through the environment; stderr is drained on a
// background thread into a bounded tail buffer so the child never blocks on it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bb {

// What to run and how to connect it.
struct ProcessSpec {
  ProcessSpec() = default;
  // {program, {args...}}: a constructor rather than aggregate init keeps -Wextra quiet.
  ProcessSpec(std::string program_, std::vector<std::string> args_ = {})
      : program(std::move(program_)), args(std::move(args_)) {}

  // Program path; without '/', it is searched in PATH.
  std::string program;
  // Arguments after argv[0] (argv[0] is program).
  std::vector<std::string> args;
  // Environment: the parent's, plus env_set (overriding), minus env_unset.
  std::map<std::string, std::string> env_set;
  std::vector<std::string> env_unset;
  // true: stdin is a pipe fed by write_stdin(); false: stdin is /dev/null.
  bool pipe_stdin = false;
  // true: stdout is a pipe read by read_stdout(); false: stdout is /dev/null.
  bool pipe_stdout = false;
  // stderr_text() keeps the last this many bytes of the child's stderr.
  std::size_t stderr_limit = 64 * 1024;
};

// A running (or finished) child process. Move-only; the destructor stops (SIGTERM, then
// SIGKILL after 5 s) and reaps a child still running, so none is ever left behind.
class Process {
 public:
  // Starts the child. Throws OperationError naming the program if it cannot be started.
  static Process spawn(const ProcessSpec& spec);

  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  // The parent's end of the stdin pipe (-1 if not piped or closed).
  int stdin_fd() const;
  // The parent's end of the stdout pipe (-1 if not piped or closed).
  int stdout_fd() const;
  // Closes the stdin pipe: the child sees end of input (idempotent).
  void close_stdin();
  // Closes the stdout pipe: further child writes get EPIPE (idempotent).
  void close_stdout();
  // Waits up to `timeout` for the child's stdout to have data (or end); false on timeout.
  // Lets a reader stay responsive to cancellation while the child is silent.
  bool wait_stdout(std::chrono::milliseconds timeout);
  // Reads up to n bytes of the child's stdout (blocking); 0 at end of output.
  std::size_t read_stdout(char* buf, std::size_t n);
  // Writes all n bytes to the child's stdin. Throws OperationError if the child closed
  // its stdin (EPIPE), e.g. because it exited. Never raises SIGPIPE.
  void write_stdin(const char* data, std::size_t n);
  // Closes stdin, waits for the child to end and returns its exit code, or 128+signal
  // if a signal killed it. Idempotent.
  int wait();
  // After wait(): "exit 1", or "killed by signal 9 (SIGKILL)" (an exit code alone cannot
  // tell a signal from a program that exited with 128+N).
  std::string describe_exit();
  // Sends SIGTERM if the child is still running (idempotent).
  void terminate();
  // The tail (last stderr_limit bytes) of the child's stderr; complete after wait().
  std::string stderr_text() const;
  // The child's process id.
  pid_t pid() const;
  // The program as given in the spec, for messages.
  const std::string& program() const;

 private:
  struct State;
  explicit Process(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Outcome of run_process.
struct ProcessResult {
  int exit_code = 0;
  std::string stdout_text;
  std::string stderr_text;
};

// Runs a child to completion, feeding stdin_data (if any) and capturing stdout.
ProcessResult run_process(const ProcessSpec& spec, std::string_view stdin_data = {});

// This machine's host name (gethostname), "backupbuddy" when it has none.
std::string host_name();

}  // namespace bb
