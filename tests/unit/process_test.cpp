// Tests for util/process: exit codes, signals, pipes both ways, EPIPE, missing
// programs, environment (secrets never in argv), stderr tail, cleanup on destruction.
#include "util/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "util/error.h"

namespace bb {
namespace {

ProcessSpec sh(const std::string& script) { return ProcessSpec{"sh", {"-c", script}}; }

TEST(Process, ExitCodes) {
  EXPECT_EQ(run_process(ProcessSpec{"true"}).exit_code, 0);
  EXPECT_EQ(run_process(ProcessSpec{"false"}).exit_code, 1);
  EXPECT_EQ(run_process(sh("exit 42")).exit_code, 42);
  Process p = Process::spawn(sh("exit 7"));
  EXPECT_EQ(p.wait(), 7);
  EXPECT_EQ(p.wait(), 7);  // idempotent
}

TEST(Process, SignalDeathIs128PlusSignal) {
  EXPECT_EQ(run_process(sh("kill -KILL $$")).exit_code, 128 + SIGKILL);
  Process p = Process::spawn(ProcessSpec{"sleep", {"100"}});
  p.terminate();
  p.terminate();  // idempotent
  EXPECT_EQ(p.wait(), 128 + SIGTERM);
  p.terminate();  // after reaping: no effect
}

TEST(Process, ArgumentsAreNotInterpretedByAShell) {
  ProcessResult r = run_process(ProcessSpec{"printf", {"%s|", "a b", "$HOME", "'q'", "*"}});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_text, "a b|$HOME|'q'|*|");
}

TEST(Process, StreamsLargeStdout) {
  ProcessSpec spec{"head", {"-c", "50000000", "/dev/zero"}};
  spec.pipe_stdout = true;
  Process p = Process::spawn(spec);
  std::vector<char> buf(1 << 20);
  std::size_t total = 0;
  bool all_zero = true;
  while (std::size_t n = p.read_stdout(buf.data(), buf.size())) {
    for (std::size_t i = 0; i < n; i += 4096) all_zero = all_zero && buf[i] == 0;
    total += n;
  }
  EXPECT_EQ(total, 50000000u);
  EXPECT_TRUE(all_zero);
  EXPECT_EQ(p.read_stdout(buf.data(), buf.size()), 0u);  // stays at EOF
  EXPECT_EQ(p.wait(), 0);
}

TEST(Process, WritesStdin) {
  std::string input(3 << 20, 'x');
  ProcessResult r = run_process(ProcessSpec{"wc", {"-c"}}, input);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(std::stoul(r.stdout_text), input.size());

  ProcessResult echo = run_process(ProcessSpec{"cat"}, "hello\nworld\n");
  EXPECT_EQ(echo.stdout_text, "hello\nworld\n");
}

TEST(Process, StdinAndStdoutTogetherWithExplicitPipes) {
  ProcessSpec spec{"cat"};
  spec.pipe_stdin = true;
  spec.pipe_stdout = true;
  Process p = Process::spawn(spec);
  ASSERT_GE(p.stdin_fd(), 0);
  ASSERT_GE(p.stdout_fd(), 0);
  p.write_stdin("ping", 4);
  p.close_stdin();
  EXPECT_EQ(p.stdin_fd(), -1);
  char buf[16];
  std::string out;
  while (std::size_t n = p.read_stdout(buf, sizeof buf)) out.append(buf, n);
  EXPECT_EQ(out, "ping");
  EXPECT_EQ(p.wait(), 0);
}

TEST(Process, UnpipedStdinIsDevNull) {
  ProcessResult r = run_process(ProcessSpec{"wc", {"-c"}});
  EXPECT_EQ(std::stoul(r.stdout_text), 0u);
}

TEST(Process, BrokenPipeWhenChildExitsEarly) {
  ProcessSpec spec{"head", {"-c", "10"}};
  spec.pipe_stdin = true;
  spec.pipe_stdout = true;
  Process p = Process::spawn(spec);
  std::string chunk(1 << 16, 'y');
  bool threw = false;
  try {
    // head exits after 10 bytes; the pipe then breaks (SIGPIPE must not kill us).
    for (int i = 0; i < 1000; ++i) p.write_stdin(chunk.data(), chunk.size());
  } catch (const OperationError& e) {
    threw = true;
    EXPECT_NE(std::string(e.what()).find("head"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("broken pipe"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(threw);
  char buf[64];
  std::string out;
  while (std::size_t n = p.read_stdout(buf, sizeof buf)) out.append(buf, n);
  EXPECT_EQ(out, std::string(10, 'y'));
  EXPECT_EQ(p.wait(), 0);
  // run_process tolerates it too and reports the exit code.
  ProcessResult r = run_process(ProcessSpec{"head", {"-c", "3"}}, std::string(1 << 22, 'z'));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_text, "zzz");
}

TEST(Process, MissingProgramNamesIt) {
  try {
    Process::spawn(ProcessSpec{"bb-no-such-program-xyz"});
    FAIL() << "no error";
  } catch (const OperationError& e) {
    std::string text = e.what();
    EXPECT_NE(text.find("bb-no-such-program-xyz"), std::string::npos) << text;
    EXPECT_NE(text.find("not found in PATH"), std::string::npos) << text;
  }
  try {
    Process::spawn(ProcessSpec{"/nonexistent/dir/pg_dump"});
    FAIL() << "no error";
  } catch (const OperationError& e) {
    std::string text = e.what();
    EXPECT_NE(text.find("/nonexistent/dir/pg_dump"), std::string::npos) << text;
    EXPECT_NE(text.find("No such file"), std::string::npos) << text;
  }
}

TEST(Process, PathSearchUsesTheChildsPath) {
  ProcessSpec spec{"bb-test-tool"};
  spec.env_set["PATH"] = "/nonexistent";
  EXPECT_THROW(Process::spawn(spec), OperationError);
  ProcessSpec found{"sh", {"-c", "echo ok"}};
  found.env_set["PATH"] = "/nonexistent:/bin:/usr/bin";
  EXPECT_EQ(run_process(found).stdout_text, "ok\n");
}

TEST(Process, EnvironmentSetAndUnsetSecretNotInCmdline) {
  ::setenv("BB_TEST_INHERITED", "inherited", 1);
  ::setenv("BB_TEST_REMOVED", "removed", 1);
  ProcessSpec spec =
      sh("echo \"$BB_SECRET|$BB_TEST_INHERITED|${BB_TEST_REMOVED-unset}\"; "
         "cat /proc/$$/cmdline; exec sleep 5");
  spec.env_set["BB_SECRET"] = "s3cr3t-value";
  spec.env_unset.push_back("BB_TEST_REMOVED");
  spec.pipe_stdout = true;
  Process p = Process::spawn(spec);
  std::string out;
  char buf[4096];
  // Read the first line and the cmdline dump; then look at the running child's cmdline.
  while (out.find("sleep") == std::string::npos) {
    std::size_t n = p.read_stdout(buf, sizeof buf);
    if (n == 0) break;
    out.append(buf, n);
  }
  EXPECT_EQ(out.substr(0, out.find('\n')), "s3cr3t-value|inherited|unset");
  std::string cmdline_from_child = out.substr(out.find('\n') + 1);
  EXPECT_EQ(cmdline_from_child.find("s3cr3t"), std::string::npos);
  std::ifstream cmdline("/proc/" + std::to_string(p.pid()) + "/cmdline");
  std::stringstream ss;
  ss << cmdline.rdbuf();
  EXPECT_EQ(ss.str().find("s3cr3t"), std::string::npos);
  ::unsetenv("BB_TEST_INHERITED");
  ::unsetenv("BB_TEST_REMOVED");
}

TEST(Process, OnlyStandardFdsAreInherited) {
  // /proc/self/fd of ls itself shows 0,1,2 and the directory fd ls opened.
  ProcessResult r = run_process(sh("ls /proc/$$/fd"));
  EXPECT_EQ(r.stdout_text, "0\n1\n2\n") << r.stdout_text;
}

TEST(Process, StderrKeepsTheTail) {
  ProcessSpec spec =
      sh("i=0; while [ $i -lt 3000 ]; do echo \"noise line $i\" >&2; "
         "i=$((i+1)); done; echo 'FATAL: the last line' >&2; exit 3");
  spec.stderr_limit = 1000;
  ProcessResult r = run_process(spec);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_LE(r.stderr_text.size(), 1000u);
  EXPECT_GE(r.stderr_text.size(), 900u);
  EXPECT_NE(r.stderr_text.find("FATAL: the last line\n"), std::string::npos);
  EXPECT_NE(r.stderr_text.find("noise line 2999"), std::string::npos);
  EXPECT_EQ(r.stderr_text.find("noise line 0\n"), std::string::npos);
}

TEST(Process, LargeStderrDoesNotBlockTheChild) {
  // 4 MiB of stderr with nobody reading stdout/stderr explicitly: must not hang.
  ProcessSpec spec = sh("head -c 4194304 /dev/zero | tr '\\0' e >&2; echo done");
  ProcessResult r = run_process(spec);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_text, "done\n");
  EXPECT_EQ(r.stderr_text.size(), 64u * 1024);
}

TEST(Process, BackgroundGrandchildHoldingStderrDoesNotHangWait) {
  auto start = std::chrono::steady_clock::now();
  ProcessResult r = run_process(sh("echo before >&2; (sleep 5 >/dev/null 2>&2 &) ; exit 0"));
  // stdout of the grandchild is /dev/null, so stdout EOF comes at once; stderr lingers.
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stderr_text, "before\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(Process, DestructorStopsARunningChildQuickly) {
  pid_t pid;
  auto start = std::chrono::steady_clock::now();
  {
    Process p = Process::spawn(ProcessSpec{"sleep", {"100"}});
    pid = p.pid();
    EXPECT_EQ(::kill(pid, 0), 0);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_NE(::kill(pid, 0), 0);  // gone and reaped (no zombie)
}

TEST(Process, DestructorKillsAChildIgnoringSigterm) {
  auto start = std::chrono::steady_clock::now();
  {
    ProcessSpec spec = sh("trap '' TERM; echo ready; while :; do sleep 1; done");
    spec.pipe_stdout = true;
    Process p = Process::spawn(spec);
    char buf[16];
    p.read_stdout(buf, sizeof buf);  // the trap is installed
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::seconds(4));
  EXPECT_LT(elapsed, std::chrono::seconds(8));
}

TEST(Process, MoveKeepsTheChild) {
  Process a = Process::spawn(sh("exit 5"));
  pid_t pid = a.pid();
  Process b = std::move(a);
  EXPECT_EQ(b.pid(), pid);
  EXPECT_EQ(b.wait(), 5);
}

}  // namespace
}  // namespace bb
