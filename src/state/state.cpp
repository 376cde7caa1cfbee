// StateStore over a JSON file.
#include "state/state.h"
#include "state/deliveries.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/error.h"
#include "util/log.h"

namespace bb {
namespace {

DatabaseState from_json(const nlohmann::json& j) {
  DatabaseState s;
  s.backup_at = parse_iso_utc(j.value("backup_at", ""));  // written by format_iso_utc; anything else: never
  s.backup_ok = j.value("backup_ok", false);
  s.backup_id = j.value("backup_id", "");
  s.backup_error = j.value("backup_error", "");
  s.dump_bytes = j.value("dump_bytes", std::uint64_t{0});
  s.stored_bytes = j.value("stored_bytes", std::uint64_t{0});
  s.backup_seconds = j.value("backup_seconds", 0.0);
  s.verified_at = parse_iso_utc(j.value("verified_at", ""));
  s.verify_ok = j.value("verify_ok", false);
  s.verified_id = j.value("verified_id", "");
  s.restore_tested = j.value("restore_tested", false);
  s.verify_error = j.value("verify_error", "");
  return s;
}

nlohmann::ordered_json to_json(const DatabaseState& s) {
  return {{"backup_at", format_iso_utc_or_empty(s.backup_at)},       {"backup_ok", s.backup_ok},       {"backup_id", s.backup_id},
          {"backup_error", s.backup_error}, {"dump_bytes", s.dump_bytes},     {"stored_bytes", s.stored_bytes},
          {"backup_seconds", s.backup_seconds}, {"verified_at", format_iso_utc_or_empty(s.verified_at)}, {"verify_ok", s.verify_ok},
          {"verified_id", s.verified_id},   {"restore_tested", s.restore_tested}, {"verify_error", s.verify_error}};
}

std::map<std::string, DatabaseState> read_file(const std::string& path) {
  std::map<std::string, DatabaseState> out;
  std::ifstream in(path);
  if (!in) return out;
  std::stringstream buf;
  buf << in.rdbuf();
  try {
    auto j = nlohmann::json::parse(buf.str());
    for (const auto& [db, entry] : j.at("databases").items()) out[db] = from_json(entry);
  } catch (const std::exception& e) {
    log::warn("state file " + path + " is unreadable (" + e.what() + "); starting from an empty state");
    out.clear();
  }
  return out;
}

// Holds an exclusive flock on <path>.lock while alive.
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error("cannot open " + path + ": " + std::strerror(errno) + " — check [backup] state_dir");
    while (flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~FileLock() { ::close(fd_); }

 private:
  int fd_ = -1;
};

}  // namespace

std::string state_directory(const std::string& configured) {
  std::string dir = configured;
  if (dir.empty()) {
    if (geteuid() == 0) {
      dir = "/var/lib/backupbuddy";
    } else if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) {
      dir = std::string(xdg) + "/backupbuddy";
    } else if (const char* home = std::getenv("HOME"); home && *home) {
      dir = std::string(home) + "/.local/state/backupbuddy";
    } else {
      dir = "/tmp/backupbuddy-" + std::to_string(geteuid());
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw ConfigError("cannot create state directory " + dir + ": " + ec.message() +
                      " — set [backup] state_dir to a writable folder");
  return dir;
}

StateStore::StateStore(std::string state_dir) : path_(std::move(state_dir) + "/state.json") {}

std::map<std::string, DatabaseState> StateStore::load() const { return read_file(path_); }

void StateStore::update(const std::string& database, const std::function<void(DatabaseState&)>& change) {
  FileLock lock(path_ + ".lock");
  auto all = read_file(path_);
  change(all[database]);
  nlohmann::ordered_json j;
  j["format_version"] = 1;
  j["databases"] = nlohmann::ordered_json::object();
  for (const auto& [db, s] : all) j["databases"][db] = to_json(s);
  std::string text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  write_file_atomically(path_, text, "check [backup] state_dir and free space");
}

void write_file_atomically(const std::string& path, const std::string& text, const std::string& fix) {
  std::string tmp = path + ".tmp-" + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error("cannot write " + tmp + ": " + std::strerror(errno) + " — " + fix);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw Error("cannot write " + path + ": " + std::strerror(err) + " — " + fix);
  }
}

DeliveryLog::DeliveryLog(const std::string& state_dir) : path_(state_dir + "/notify.json") {}

std::map<std::string, Delivery> DeliveryLog::load() const {
  std::map<std::string, Delivery> out;
  std::ifstream in(path_);
  if (!in) return out;
  std::stringstream buf;
  buf << in.rdbuf();
  try {
    auto j = nlohmann::json::parse(buf.str());
    for (const auto& [channel, e] : j.at("channels").items())
      out[channel] = Delivery{e.value("at", ""), e.value("ok", false), e.value("event", ""), e.value("error", "")};
  } catch (const std::exception& e) {
    log::warn("delivery log " + path_ + " is unreadable (" + e.what() + "); starting from an empty one");
    out.clear();
  }
  return out;
}

void DeliveryLog::record(const std::string& channel, const Delivery& delivery) {
  FileLock lock(path_ + ".lock");
  auto all = load();
  all[channel] = delivery;
  nlohmann::ordered_json j;
  j["format_version"] = 1;
  j["channels"] = nlohmann::ordered_json::object();
  for (const auto& [name, d] : all)
    j["channels"][name] = {{"at", d.at}, {"ok", d.ok}, {"event", d.event}, {"error", d.error}};
  write_file_atomically(path_, j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                        "check [backup] state_dir and free space");
}

}  // namespace bb
