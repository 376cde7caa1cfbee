// The command line's words for what the user can do about an error (util/error.h Remedy):
// here, and only here, flags and commands are named.
#pragma once

#include <exception>
#include <string>

#include "util/error.h"

namespace bb {

// The command-line advice for a remedy; empty for Remedy::kNone.
std::string cli_remedy_text(Remedy remedy);

// An error as the command line shows it: the message, then " — " and the advice.
std::string cli_error_text(const std::exception& error);

}  // namespace bb
