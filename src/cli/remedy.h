// How the command line shows an error: its words for what the user can do about it (util/error.h Remedy),
// and the --json error object. Here, and only here, flags and commands are named.
#pragma once

#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "util/error.h"

namespace bb {

// The command-line advice for a remedy; empty for Remedy::kNone.
std::string cli_remedy_text(Remedy remedy);

// An error as the command line shows it: the message, then " — " and the advice.
std::string cli_error_text(const std::exception& error);

// What kind of failure an error is, for the JSON error object: "lock_held", "config",
// "cancelled", "not_found", "storage", "postgres", "failed" or "unexpected".
std::string error_kind(const std::exception& e);

// {"error": {"code", "kind", "message"}} (the message secret-masked): what a --json command
// that fails prints on stdout (docs/json-output.md).
nlohmann::ordered_json json_error(int code, const std::string& kind, const std::string& message);
// Prints json_error() on stdout.
void print_json_error(int code, const std::string& kind, const std::string& message);

}  // namespace bb
