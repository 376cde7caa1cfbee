// Child processes via posix_spawn: pipes are O_CLOEXEC and every fd above 2 is closed
// in the child; signal dispositions and mask are reset to defaults; stderr goes to a
// drain thread. Reaping waits with WNOWAIT first, so terminate() never signals a pid
// that was already reaped (and possibly reused).
#include "util/process.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "util/error.h"
#include "util/log.h"

extern char** environ;

namespace bb {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kTerminateGrace{5};
// After the child is reaped, how long stderr may stay open (held by a grandchild)
// before the drain thread stops waiting for its end.
constexpr std::chrono::seconds kStderrLinger{2};

std::string errno_text(int err) { return std::strerror(err); }

void close_fd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

// Owns the fds and attributes of one posix_spawn call.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// Closes the fds it holds on scope exit (the child's ends after spawning).
struct FdList {
  std::vector<int> fds;
  ~FdList() {
    for (int& fd : fds) close_fd(fd);
  }
};

void make_pipe(int fds[2], const std::string& program) {
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw OperationError("cannot start " + program + ": creating a pipe failed: " +
                         errno_text(errno) + " — too many open files? check ulimit -n");
  }
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Resolves a program name without '/' through the PATH the child will see.
std::string resolve_program(const ProcessSpec& spec) {
  if (spec.program.empty()) throw OperationError("cannot start a process: no program given");
  if (spec.program.find('/') != std::string::npos) return spec.program;
  std::string path_var;
  if (auto it = spec.env_set.find("PATH"); it != spec.env_set.end()) {
    path_var = it->second;
  } else if (const char* env = std::getenv("PATH")) {
    path_var = env;
  } else {
    path_var = "/usr/local/bin:/usr/bin:/bin";
  }
  std::size_t start = 0;
  while (start <= path_var.size()) {
    std::size_t end = path_var.find(':', start);
    if (end == std::string::npos) end = path_var.size();
    std::string dir = path_var.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + spec.program;
    if (is_executable_file(candidate)) return candidate;
    start = end + 1;
  }
  throw OperationError("cannot start " + spec.program + ": program not found in PATH (" + path_var +
                       ") — install it or configure its full path");
}

std::vector<std::string> build_environment(const ProcessSpec& spec) {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view item(*entry);
    std::string_view name = item.substr(0, item.find('='));
    bool drop = spec.env_set.count(std::string(name)) > 0;
    for (const auto& unset : spec.env_unset) drop = drop || unset == name;
    if (!drop) env.emplace_back(item);
  }
  for (const auto& [name, value] : spec.env_set) {
    bool unset = false;
    for (const auto& u : spec.env_unset) unset = unset || u == name;
    if (!unset) env.push_back(name + "=" + value);
  }
  return env;
}

}  // namespace

struct Process::State {
  pid_t pid = -1;
  std::string program;
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;  // read by the drain thread
  int wake_read = -1;  // the drain thread learns here that the child was reaped
  int wake_write = -1;
  std::thread stderr_thread;

  mutable std::mutex mutex;  // guards everything below
  std::string stderr_tail;
  std::size_t stderr_limit = 0;
  bool reaped = false;
  int exit_code = -1;
  int term_signal = 0;  // the signal that ended the child, 0 if it exited

  ~State() { stop_and_reap(); }

  void append_stderr(const char* data, std::size_t n) {
    std::lock_guard lock(mutex);
    if (stderr_limit == 0) return;
    stderr_tail.append(data, n);
    // Trim in batches so trimming costs O(1) amortized per byte.
    if (stderr_tail.size() > 2 * stderr_limit) {
      stderr_tail.erase(0, stderr_tail.size() - stderr_limit);
    }
  }

  void drain_stderr() {
    char buf[16384];
    bool child_gone = false;
    Clock::time_point deadline{};
    for (;;) {
      pollfd fds[2] = {{stderr_fd, POLLIN, 0}, {wake_read, POLLIN, 0}};
      int timeout_ms = -1;
      if (child_gone) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) break;
        timeout_ms = static_cast<int>(left.count());
      }
      int ready = ::poll(fds, child_gone ? 1 : 2, timeout_ms);
      if (ready < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (ready == 0) break;  // the linger deadline passed
      if (!child_gone && (fds[1].revents != 0)) {
        child_gone = true;
        deadline = Clock::now() + kStderrLinger;
      }
      if (fds[0].revents != 0) {
        ssize_t n = ::read(stderr_fd, buf, sizeof buf);
        if (n > 0) {
          append_stderr(buf, static_cast<std::size_t>(n));
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          break;  // end of stderr (or an unreadable pipe)
        }
      }
    }
    close_fd(stderr_fd);
  }

  bool is_reaped() const {
    std::lock_guard lock(mutex);
    return reaped;
  }

  // Waits until the child has ended (without reaping it); false on timeout.
  bool wait_exited(std::chrono::milliseconds timeout) {
    auto until = Clock::now() + timeout;
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
      siginfo_t info{};
      int rc = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT | WNOHANG);
      if (rc == 0 && info.si_pid != 0) return true;
      if (rc != 0 && errno != EINTR) return true;  // ECHILD: nothing to wait for
      if (Clock::now() >= until) return false;
      std::this_thread::sleep_for(pause);
      if (pause < std::chrono::milliseconds(20)) pause *= 2;
    }
  }

  // Blocks until the child ends, reaps it, stops the drain thread; returns the exit code.
  int reap() {
    if (is_reaped()) return exit_code;
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0 &&
           errno == EINTR) {
    }
    int status = 0;
    pid_t rc;
    {
      std::lock_guard lock(mutex);
      while ((rc = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
      }
      reaped = true;
      if (rc < 0) {
        exit_code = 128 + SIGKILL;  // cannot happen unless someone else reaped it
      } else if (WIFEXITED(status)) {
        exit_code = WEXITSTATUS(status);
      } else if (WIFSIGNALED(status)) {
        term_signal = WTERMSIG(status);
        exit_code = 128 + term_signal;
      } else {
        exit_code = 128;
      }
    }
    if (wake_write >= 0) {
      char byte = 1;
      while (::write(wake_write, &byte, 1) < 0 && errno == EINTR) {
      }
    }
    if (stderr_thread.joinable()) stderr_thread.join();
    close_fd(wake_read);
    close_fd(wake_write);
    return exit_code;
  }

  void signal_child(int sig) {
    std::lock_guard lock(mutex);
    if (!reaped && pid > 0) ::kill(pid, sig);
  }

  void stop_and_reap() {
    close_fd(stdin_fd);
    close_fd(stdout_fd);
    if (pid > 0 && !is_reaped()) {
      if (!wait_exited(std::chrono::milliseconds(0))) {
        signal_child(SIGTERM);
        if (!wait_exited(kTerminateGrace)) signal_child(SIGKILL);
      }
      reap();
    }
    if (stderr_thread.joinable()) stderr_thread.join();  // only if spawning half-failed
    close_fd(stderr_fd);
    close_fd(wake_read);
    close_fd(wake_write);
  }
};

Process::Process(std::unique_ptr<State> state) : state_(std::move(state)) {}
Process::Process(Process&&) noexcept = default;
Process& Process::operator=(Process&&) noexcept = default;
Process::~Process() = default;

Process Process::spawn(const ProcessSpec& spec) {
  const std::string path = resolve_program(spec);
  auto state = std::make_unique<State>();
  state->program = spec.program;
  state->stderr_limit = spec.stderr_limit;

  FdList child_ends;
  SpawnSetup setup;
  int fds[2];
  int child_stdin = -1;
  int child_stdout = -1;
  int dev_null = -1;
  if (!spec.pipe_stdin || !spec.pipe_stdout) {
    dev_null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (dev_null < 0) {
      throw OperationError("cannot start " + spec.program +
                           ": opening /dev/null failed: " + errno_text(errno));
    }
    child_ends.fds.push_back(dev_null);
  }
  if (spec.pipe_stdin) {
    make_pipe(fds, spec.program);
    child_stdin = fds[0];
    state->stdin_fd = fds[1];
    child_ends.fds.push_back(child_stdin);
  } else {
    child_stdin = dev_null;
  }
  if (spec.pipe_stdout) {
    make_pipe(fds, spec.program);
    child_stdout = fds[1];
    state->stdout_fd = fds[0];
    child_ends.fds.push_back(child_stdout);
  } else {
    child_stdout = dev_null;
  }
  make_pipe(fds, spec.program);
  state->stderr_fd = fds[0];
  int child_stderr = fds[1];
  child_ends.fds.push_back(child_stderr);
  make_pipe(fds, spec.program);
  state->wake_read = fds[0];
  state->wake_write = fds[1];

  posix_spawn_file_actions_adddup2(&setup.actions, child_stdin, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, child_stdout, 1);
  posix_spawn_file_actions_adddup2(&setup.actions, child_stderr, 2);
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
  sigset_t signals;
  sigemptyset(&signals);
  posix_spawnattr_setsigmask(&setup.attr, &signals);
  // Reset ignored signals too (we ignore SIGPIPE; pg_dump must not inherit that).
  sigfillset(&signals);
  posix_spawnattr_setsigdefault(&setup.attr, &signals);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> argv_strings;
  argv_strings.reserve(spec.args.size() + 1);
  argv_strings.push_back(spec.program);
  argv_strings.insert(argv_strings.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = build_environment(spec);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, path.c_str(), &setup.actions, &setup.attr, argv.data(), envp.data());
  if (rc != 0) {
    throw OperationError("cannot start " + spec.program + " (" + path + "): " + errno_text(rc) +
                         " — check that it is installed and executable");
  }
  state->pid = pid;
  // Close the child's ends here, so EOF propagates when the child exits.
  for (int& fd : child_ends.fds) close_fd(fd);

  State* raw = state.get();
  try {
    state->stderr_thread = std::thread([raw] { raw->drain_stderr(); });
  } catch (const std::system_error& e) {
    // Without the drain thread the child could block on stderr; stop it.
    throw OperationError("cannot start " + spec.program +
                         ": starting a thread failed: " + e.what());
  }
  return Process(std::move(state));
}

int Process::stdin_fd() const { return state_->stdin_fd; }
int Process::stdout_fd() const { return state_->stdout_fd; }
void Process::close_stdin() { close_fd(state_->stdin_fd); }
void Process::close_stdout() { close_fd(state_->stdout_fd); }
pid_t Process::pid() const { return state_->pid; }
const std::string& Process::program() const { return state_->program; }

bool Process::wait_stdout(std::chrono::milliseconds timeout) {
  if (state_->stdout_fd < 0) return true;  // read_stdout reports the closed pipe
  pollfd p{state_->stdout_fd, POLLIN, 0};
  int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  return r != 0;  // ready, hung up, or an error that read_stdout will report
}

std::size_t Process::read_stdout(char* buf, std::size_t n) {
  if (state_->stdout_fd < 0) {
    throw OperationError("reading the output of " + state_->program +
                         " failed: its stdout is not a pipe or was closed");
  }
  for (;;) {
    ssize_t got = ::read(state_->stdout_fd, buf, n);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) {
      throw OperationError("reading the output of " + state_->program +
                           " failed: " + errno_text(errno));
    }
  }
}

void Process::write_stdin(const char* data, std::size_t n) {
  if (state_->stdin_fd < 0) {
    throw OperationError("writing to " + state_->program +
                         " failed: its stdin is not a pipe or was closed");
  }
  // Block SIGPIPE in this thread while writing, and swallow the one an EPIPE raises, so
  // this works even where SIGPIPE is not ignored process-wide (tests, library use).
  sigset_t pipe_set, old_mask, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigemptyset(&pending);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  int error = 0;
  while (n > 0) {
    ssize_t put = ::write(state_->stdin_fd, data, n);
    if (put < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    data += put;
    n -= static_cast<std::size_t>(put);
  }
  if (error == EPIPE && !was_pending) {
    timespec zero{0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (error == EPIPE) {
    throw OperationError(state_->program +
                         " stopped reading its input (broken pipe); it has "
                         "probably exited — see its error output");
  }
  if (error != 0) {
    throw OperationError("writing to " + state_->program + " failed: " + errno_text(error));
  }
}

int Process::wait() {
  close_stdin();
  return state_->reap();
}

void Process::terminate() { state_->signal_child(SIGTERM); }

std::string Process::describe_exit() {
  int code = wait();
  if (state_->term_signal != 0) {
    const char* name = sigabbrev_np(state_->term_signal);
    return "killed by signal " + std::to_string(state_->term_signal) + (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "exit " + std::to_string(code);
}

std::string Process::stderr_text() const {
  std::lock_guard lock(state_->mutex);
  const std::string& tail = state_->stderr_tail;
  if (tail.size() <= state_->stderr_limit) return tail;
  return tail.substr(tail.size() - state_->stderr_limit);
}

ProcessResult run_process(const ProcessSpec& spec, std::string_view stdin_data) {
  ProcessSpec piped = spec;
  piped.pipe_stdout = true;
  piped.pipe_stdin = spec.pipe_stdin || !stdin_data.empty();
  Process process = Process::spawn(piped);
  ProcessResult result;
  std::thread feeder;
  if (piped.pipe_stdin) {
    feeder = std::thread([&process, stdin_data] {
      try {
        process.write_stdin(stdin_data.data(), stdin_data.size());
      } catch (const OperationError&) {
        // The child stopped reading; its exit code and stderr tell why.
      }
      process.close_stdin();
    });
  }
  try {
    char buf[65536];
    while (std::size_t n = process.read_stdout(buf, sizeof buf)) result.stdout_text.append(buf, n);
  } catch (...) {
    process.terminate();
    process.close_stdout();
    if (feeder.joinable()) feeder.join();
    throw;
  }
  if (feeder.joinable()) feeder.join();
  result.exit_code = process.wait();
  result.stderr_text = process.stderr_text();
  return result;
}

std::string host_name() {
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) != 0 || !name[0]) return "backupbuddy";
  return name;
}

}  // namespace bb
