// Interoperability of our age implementation (src/crypto/age.h) with the reference
// `age` CLI (Debian package age): files go both ways for X25519 keys and passphrases.
// `age -p` reads passphrases only from a terminal, so it is driven through a pty.
// Skipped when /usr/bin/age is not installed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/age.h"
#include "util/error.h"
#include "util/process.h"

namespace bb {
namespace {

namespace fs = std::filesystem;

const char* const kAge = "/usr/bin/age";
const char* const kAgeKeygen = "/usr/bin/age-keygen";

std::string make_payload(std::size_t n) {
  std::string s(n, '\0');
  std::uint32_t x = 88172645u;
  for (std::size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s[i] = static_cast<char>(x >> 3);
  }
  return s;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string our_encrypt(AgeEncryptor enc, const std::string& plain) {
  std::string out;
  ByteSink sink = [&](const char* d, std::size_t n) { out.append(d, n); };
  for (std::size_t pos = 0; pos < plain.size(); pos += 100000) {
    enc.write(plain.data() + pos, std::min<std::size_t>(100000, plain.size() - pos), sink);
  }
  enc.finish(sink);
  return out;
}

std::string our_decrypt(AgeDecryptor dec, const std::string& file) {
  std::string out;
  ByteSink sink = [&](const char* d, std::size_t n) { out.append(d, n); };
  for (std::size_t pos = 0; pos < file.size(); pos += 30000) {
    dec.write(file.data() + pos, std::min<std::size_t>(30000, file.size() - pos), sink);
  }
  dec.finish(sink);
  return out;
}

// Runs a program with stdin and stdout on /dev/null; returns its exit code (stderr in err).
int run(const std::string& program, const std::vector<std::string>& args, std::string* err) {
  Process p = Process::spawn(ProcessSpec(program, args));
  int code = p.wait();
  if (err != nullptr) *err = p.stderr_text();
  return code;
}

// Runs a program on a fresh pseudo-terminal (its controlling terminal, so /dev/tty),
// answering every "passphrase…:" prompt with `answer`. Returns the exit code; the
// terminal transcript goes to transcript.
int run_on_pty(const std::string& program, const std::vector<std::string>& args,
               const std::string& answer, std::string* transcript) {
  std::vector<std::string> argv_storage = {program};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) throw OperationError("forkpty failed");
  if (pid == 0) {
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  std::string text;
  std::size_t answered = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      break;
    }
    pollfd pfd{master, POLLIN, 0};
    int ready = poll(&pfd, 1, 200);
    if (ready < 0) break;
    if (ready == 0) continue;
    char buf[512];
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child closed the terminal
    text.append(buf, static_cast<std::size_t>(n));
    // Count complete prompts: "passphrase" followed later by ':'.
    std::size_t prompts = 0;
    for (std::size_t pos = text.find("passphrase"); pos != std::string::npos;
         pos = text.find("passphrase", pos + 1)) {
      if (text.find(':', pos) != std::string::npos) ++prompts;
    }
    while (answered < prompts) {
      std::string line = answer + "\r";
      if (write(master, line.data(), line.size()) != static_cast<ssize_t>(line.size())) break;
      ++answered;
    }
  }
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  if (transcript != nullptr) *transcript = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class AgeInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kAge, X_OK) != 0 || access(kAgeKeygen, X_OK) != 0) {
      GTEST_SKIP() << "the age CLI is not installed (/usr/bin/age, /usr/bin/age-keygen; "
                      "Debian package `age`): interop with the reference tool not tested";
    }
    char tmpl[] = "/tmp/bb-age-interop-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_;
};

TEST_F(AgeInterop, WeEncryptAgeDecrypts) {
  AgeIdentity a = age_generate_identity();
  AgeIdentity b = age_generate_identity();
  write_file(dir_ / "b.key", "# created by a test\n# public key: " + b.public_key() + "\n" +
                                 age_identity_to_string(b) + "\n");
  for (std::size_t size : {0u, 1u, 65536u, 65537u, 200000u}) {
    std::string plain = make_payload(size);
    write_file(dir_ / "x.age",
               our_encrypt(AgeEncryptor::to_recipients({a.public_key(), b.public_key()}), plain));
    std::string err;
    ASSERT_EQ(run(kAge,
                  {"-d", "-i", (dir_ / "b.key").string(), "-o", (dir_ / "x.out").string(),
                   (dir_ / "x.age").string()},
                  &err),
              0)
        << size << ": " << err;
    EXPECT_EQ(read_file(dir_ / "x.out"), plain) << size;
  }
}

TEST_F(AgeInterop, AgeEncryptsWeDecrypt) {
  std::string err;
  ASSERT_EQ(run(kAgeKeygen, {"-o", (dir_ / "k.txt").string()}, &err), 0) << err;
  std::vector<AgeIdentity> ids = age_parse_identity_file(read_file(dir_ / "k.txt"), "k.txt");
  ASSERT_EQ(ids.size(), 1u);
  AgeIdentity other = age_generate_identity();
  for (std::size_t size : {0u, 5u, 65536u, 131072u, 300001u}) {
    std::string plain = make_payload(size);
    write_file(dir_ / "p.bin", plain);
    ASSERT_EQ(run(kAge,
                  {"-r", other.public_key(), "-r", ids[0].public_key(), "-o",
                   (dir_ / "p.age").string(), (dir_ / "p.bin").string()},
                  &err),
              0)
        << err;
    std::string file = read_file(dir_ / "p.age");
    EXPECT_EQ(our_decrypt(AgeDecryptor::with_identities(ids), file), plain) << size;
    EXPECT_EQ(age_check_header(file, ids), (std::vector<std::string>{"X25519", "X25519"}));
    EXPECT_THROW(our_decrypt(AgeDecryptor::with_identities({age_generate_identity()}), file),
                 OperationError);
  }
}

TEST_F(AgeInterop, KeygenFilesBothWays) {
  std::string err;
  ASSERT_EQ(run(kAgeKeygen, {"-o", (dir_ / "k.txt").string()}, &err), 0) << err;
  // Our public key for their identity equals age-keygen -y's.
  std::vector<AgeIdentity> ids = age_parse_identity_file(read_file(dir_ / "k.txt"), "k.txt");
  ASSERT_EQ(
      run(kAgeKeygen, {"-y", "-o", (dir_ / "k.pub").string(), (dir_ / "k.txt").string()}, &err), 0)
      << err;
  std::string pub = read_file(dir_ / "k.pub");
  while (!pub.empty() && pub.back() == '\n') pub.pop_back();
  EXPECT_EQ(ids.at(0).public_key(), pub);
  EXPECT_TRUE(age_is_valid_recipient(pub));

  // Our identity file is read by age-keygen -y and age -d.
  AgeIdentity mine = age_generate_identity();
  write_file(dir_ / "mine.key",
             "# public key: " + mine.public_key() + "\n" + age_identity_to_string(mine) + "\n");
  ASSERT_EQ(run(kAgeKeygen,
                {"-y", "-o", (dir_ / "mine.pub").string(), (dir_ / "mine.key").string()}, &err),
            0)
      << err;
  EXPECT_EQ(read_file(dir_ / "mine.pub"), mine.public_key() + "\n");
}

TEST_F(AgeInterop, AgeRejectsOurDamagedFiles) {
  AgeIdentity id = age_generate_identity();
  write_file(dir_ / "id.key", age_identity_to_string(id) + "\n");
  std::string file =
      our_encrypt(AgeEncryptor::to_recipients({id.public_key()}), make_payload(70000));
  std::string flipped = file;
  flipped[file.size() / 2] ^= 0x20;
  std::string err;
  for (const std::string& bad : {flipped, file.substr(0, file.size() - 1)}) {
    write_file(dir_ / "bad.age", bad);
    EXPECT_NE(run(kAge,
                  {"-d", "-i", (dir_ / "id.key").string(), "-o", (dir_ / "bad.out").string(),
                   (dir_ / "bad.age").string()},
                  &err),
              0);
  }
}

TEST_F(AgeInterop, PassphraseWeEncryptAgeDecrypts) {
  std::string plain = make_payload(100000);
  write_file(dir_ / "s.age",
             our_encrypt(AgeEncryptor::with_passphrase("tulip gravel 42", 12), plain));
  std::string transcript;
  int code = run_on_pty(kAge, {"-d", "-o", (dir_ / "s.out").string(), (dir_ / "s.age").string()},
                        "tulip gravel 42", &transcript);
  ASSERT_EQ(code, 0) << transcript;
  EXPECT_EQ(read_file(dir_ / "s.out"), plain);
  // The wrong passphrase is refused by age, too.
  code = run_on_pty(kAge, {"-d", "-o", (dir_ / "s2.out").string(), (dir_ / "s.age").string()},
                    "tulip gravel 43", &transcript);
  EXPECT_NE(code, 0) << transcript;
}

TEST_F(AgeInterop, PassphraseAgeEncryptsWeDecrypt) {
  std::string plain = make_payload(65536);
  write_file(dir_ / "q.bin", plain);
  std::string transcript;
  // age -p asks twice (enter, confirm); its default work factor is 2^18.
  int code = run_on_pty(kAge, {"-p", "-o", (dir_ / "q.age").string(), (dir_ / "q.bin").string()},
                        "marble canyon 7", &transcript);
  ASSERT_EQ(code, 0) << transcript;
  std::string file = read_file(dir_ / "q.age");
  ASSERT_NE(file.find("\n-> scrypt "), std::string::npos);
  EXPECT_EQ(our_decrypt(AgeDecryptor::with_passphrase("marble canyon 7"), file), plain);
  EXPECT_THROW(our_decrypt(AgeDecryptor::with_passphrase("marble canyon 8"), file), OperationError);
}

}  // namespace
}  // namespace bb
