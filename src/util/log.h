// Logging to stderr with levels. Callers never pass secrets; mask_secrets() is a last
// line of defence for text that came from outside (URLs, child stderr).
#pragma once

#include <string>

namespace bb::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kQuiet = 4 };

enum class Format { kText, kJson };
// Text for people (default), or one JSON object per line for machines (--log-format json).
void set_format(Format format);

// Sets the lowest level printed (default kInfo; -v: kDebug; -q: kWarn).
void set_level(Level level);
Level level();
void debug(const std::string& message);
void info(const std::string& message);
void warn(const std::string& message);
void error(const std::string& message);

// Registers a secret value so that it is replaced by "***" in every log line.
void register_secret(const std::string& value);
// Replaces every registered secret in text by "***".
std::string mask_secrets(std::string text);

}  // namespace bb::log
