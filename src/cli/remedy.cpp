// Command-line wording of remedies.
#include "cli/remedy.h"

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

}  // namespace bb
