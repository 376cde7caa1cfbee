// How the command line shows an error: remedy wording, and the --json error object.
#include "cli/remedy.h"

#include <iostream>

#include "util/log.h"

namespace bb {

std::string cli_remedy_text(Remedy remedy) {
  switch (remedy) {
    case Remedy::kNone: return "";
    case Remedy::kChooseTargetName: return "choose another name with --into";
    case Remedy::kShorterTargetName: return "choose a shorter name with --into or [restore] target";
    case Remedy::kRestoreWithoutDisk:
      return "set TMPDIR to a folder with room for the dump, or use --jobs 1 (streams, no disk)";
    case Remedy::kRestoreWithoutOwners:
      return "restore with --create-roles (or [restore] create_roles = true) to create them without login or "
             "password, create them yourself, or restore with --no-owner (or [restore] owner = \"some_role\") so that "
             "the archive belongs to the restoring user";
    case Remedy::kSeeBackups: return "`backupbuddy list DB` shows the backups there are";
    case Remedy::kSeeArchives: return "`backupbuddy archives` lists the archives there are";
    case Remedy::kIncludeOtherArchives: return "use its own config with -c, or add --all to drop another config's archive";
    case Remedy::kTestChannels: return "`backupbuddy check --notify` sends a test message on every channel";
    case Remedy::kNameDatabases:
      return "name them (backupbuddy backup mydb), add [[databases]] entries to the config, or use --all / [backup] "
             "all_databases = true";
  }
  return "";
}

std::string cli_error_text(const std::exception& error) {
  const auto* ours = dynamic_cast<const Error*>(&error);
  std::string advice = ours ? cli_remedy_text(ours->remedy()) : "";
  return advice.empty() ? std::string(error.what()) : std::string(error.what()) + " — " + advice;
}

// What kind of failure an error is, for the JSON error object (docs/json-output.md).
std::string error_kind(const std::exception& e) {
  if (dynamic_cast<const LockHeldError*>(&e)) return "lock_held";
  if (dynamic_cast<const ConfigError*>(&e)) return "config";
  if (dynamic_cast<const CancelledError*>(&e)) return "cancelled";
  if (dynamic_cast<const NotFoundError*>(&e)) return "not_found";
  if (dynamic_cast<const StorageError*>(&e)) return "storage";
  if (dynamic_cast<const PgError*>(&e)) return "postgres";
  if (dynamic_cast<const Error*>(&e)) return "failed";
  return "unexpected";
}

// A --json command that fails prints {"error": {"code", "kind", "message"}} on stdout, so
// a script reading stdout always gets one JSON document. Commands write their own JSON
// result last, after every step that can fail, so the two never meet.
nlohmann::ordered_json json_error(int code, const std::string& kind, const std::string& message) {
  return {{"error", {{"code", code}, {"kind", kind}, {"message", log::mask_secrets(message)}}}};
}

void print_json_error(int code, const std::string& kind, const std::string& message) {
  std::cout << json_error(code, kind, message).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
            << std::endl;
}

}  // namespace bb
