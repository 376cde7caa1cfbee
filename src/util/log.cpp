// Logging to stderr, with timestamps when stderr is not a terminal (journald, cron mail).
#include "util/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>
#include <vector>

namespace bb::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::atomic<Format> g_format{Format::kText};

std::string json_escape(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}
std::mutex g_mutex;
std::vector<std::string> g_secrets;

void emit(Level lvl, const char* tag, const std::string& message) {
  if (lvl < g_level.load()) return;
  std::string text = mask_secrets(message);
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_format.load() == Format::kJson) {
    char stamp[32];
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    static const char* names[] = {"debug", "info", "warning", "error", "quiet"};
    std::cerr << "{\"time\":\"" << stamp << "\",\"level\":\"" << names[static_cast<int>(lvl)]
              << "\",\"message\":\"" << json_escape(text) << "\"}\n" << std::flush;
    return;
  }
  if (!isatty(STDERR_FILENO)) {
    char stamp[32];
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S ", &tm);
    std::cerr << stamp;
  }
  std::cerr << tag << text << '\n' << std::flush;
}

}  // namespace

void set_level(Level level) { g_level = level; }
void set_format(Format format) { g_format = format; }
Level level() { return g_level.load(); }
void debug(const std::string& message) { emit(Level::kDebug, "debug: ", message); }
void info(const std::string& message) { emit(Level::kInfo, "", message); }
void warn(const std::string& message) { emit(Level::kWarn, "warning: ", message); }
void error(const std::string& message) { emit(Level::kError, "error: ", message); }

void register_secret(const std::string& value) {
  if (value.size() < 4) return;  // too short to mask without mangling ordinary text
  std::lock_guard<std::mutex> lock(g_mutex);
  for (const auto& known : g_secrets)
    if (known == value) return;  // config reloads register the same secrets again
  g_secrets.push_back(value);
}

std::string mask_secrets(std::string text) {
  std::vector<std::string> secrets;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    secrets = g_secrets;
  }
  for (const auto& s : secrets) {
    for (std::size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 3))
      text.replace(pos, s.size(), "***");
  }
  return text;
}

}  // namespace bb::log
