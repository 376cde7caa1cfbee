// Bot messages: every sentence the Telegram bot shows, one table per language (ru, en),
// keyed by Msg. Placeholders are written {name} and filled by render(). Dates, sizes and
// durations are formatted here too, so the conversation never builds words itself.
#pragma once

#include <cstdint>
#include <exception>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "util/error.h"
#include "util/timezone.h"

namespace bb::bot {

// The bot's language ([telegram] language).
enum class Language { kRu, kEn };

// Parses "ru" / "en"; nullopt for anything else.
std::optional<Language> parse_language(const std::string& text);

// Every user-facing sentence of the bot. kCount must stay last.
enum class Msg {
  kHelp,
  kChooseDatabase,
  kNoDatabases,
  kChooseBackup,
  kNoBackupsOf,
  kBackupButton,
  kPrevPage,
  kNextPage,
  kConfirmRestoreReplace,
  kConfirmRestoreNew,
  kYesRestore,
  kNo,
  kCancelled,
  kQueued,
  kRestoreStarting,
  kRestoreProgress,
  kRestoreProgressUnknownTotal,
  kRestoreDone,
  kRestoreRowsChecked,
  kRestoreRowsNotChecked,
  kRestoreFailed,
  kBackupChoose,
  kBackupNotConfigured,
  kNoConfiguredDatabases,
  kBackupStarting,
  kBackupProgress,
  kBackupProgressUnknownTotal,
  kBackupDone,
  kBackupFailed,
  kBackupBusy,
  kJobCancelled,
  kJobRestoreWhat,
  kJobBackupWhat,
  kListHeader,
  kListLine,
  kStatusHeader,
  kStatusLine,
  kStatusNever,
  kStatusOk,
  kStatusFailed,
  kStatusVerifiedOk,
  kStatusVerifiedFailed,
  kStatusNotVerified,
  kStatusEmpty,
  kArchivesHeader,
  kArchiveLine,
  kArchivesNone,
  kDropButton,
  kConfirmDrop,
  kYesDrop,
  kDropped,
  kDropFailed,
  kUnknownButton,
  kStaleButton,
  kError,
  kRemedyTargetName,
  kRemedyShorterTargetName,
  kRemedyRestoreWithoutDisk,
  kRemedyRestoreWithoutOwners,
  kRemedySeeBackups,
  kRemedySeeArchives,
  kRemedyOtherArchives,
  kRemedyNameDatabases,
  kRemedyTestChannels,
  kUnitBytes,
  kUnitKB,
  kUnitMB,
  kUnitGB,
  kUnitTB,
  kDurationSeconds,
  kDurationMinutes,
  kDurationHours,
  kCount
};

// The template text of a message; empty when the table lacks it (tests check none does).
std::string_view message_template(Language lang, Msg msg);

// A message with its {placeholders} filled, each value through display_text() (control
// characters make it "quoted\x0Aand escaped"); unknown placeholders stay as written.
std::string render(Language lang, Msg msg,
                   std::initializer_list<std::pair<std::string_view, std::string>> values = {});

// The bot's words for what the user can do about an error (never a command-line flag);
// empty for Remedy::kNone.
std::string remedy_text(Language lang, Remedy remedy);

// An error's message followed by " — " and remedy_text() when there is a remedy.
std::string error_reason(Language lang, const std::exception& error);

// A time for the bot: "19.09.2024 04:00" (ru) or "2024-09-19 04:00" (en) in the zone.
std::string format_bot_time(Language lang, TimePoint time, const date::time_zone* zone);
// A size for people: "123 MB" / "123 МБ" (1024-based, one decimal below 10).
std::string format_bot_size(Language lang, std::uint64_t bytes);
// A duration for people: "1 min 12 s" / "1 мин 12 с".
std::string format_bot_duration(Language lang, double seconds);

}  // namespace bb::bot
