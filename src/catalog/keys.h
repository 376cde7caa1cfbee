// Key naming of the storage layout (docs/storage-layout.md): how database names and
// backup times become object keys, and back. Pure functions, no I/O.
#pragma once

#include <optional>
#include <string>

#include "util/time.h"

namespace bb {

// Percent-encodes every byte outside [A-Za-z0-9._~-] (uppercase hex), so any database
// name (spaces, quotes, '/', Cyrillic) becomes one safe key segment.
std::string encode_db_name(const std::string& name);
// Reverses encode_db_name; nullopt for text that encode_db_name could not have produced.
std::optional<std::string> decode_db_name(const std::string& segment);

// Backup id: the start time in UTC as YYYYMMDDTHHMMSSZ (util/time.h's compact form).
std::string format_backup_id(TimePoint time);
std::optional<TimePoint> parse_backup_id(const std::string& id);

// Suffix of a data object: ".dump.zst", or ".dump.zst.age" when encrypted.
std::string data_suffix(bool encrypted);
// <enc(db)>/<id>.dump.zst[.age]
std::string data_key(const std::string& db, const std::string& id, bool encrypted);
// <enc(db)>/<id>.json
std::string manifest_key(const std::string& db, const std::string& id);

// The server's globals (roles, memberships, tablespaces) stored by the run that started at
// `id`: _globals/<id>.sql, or _globals/<id>.sql.age when encrypted.
std::string globals_key(const std::string& id, bool encrypted = false);
// The run id of a globals key; nullopt for any other key.
std::optional<std::string> parse_globals_key(const std::string& key);

// The folder of run records: "!runs/". Its first segment holds '!', which encode_db_name
// never writes, so no database's keys can ever fall under it.
std::string runs_folder();
// A run id: the run's start in UTC with milliseconds, YYYYMMDDTHHMMSS.mmmZ (so two runs of
// one server in the same second keep apart, and ids sort by time).
std::string format_run_id(TimePoint start);
std::optional<TimePoint> parse_run_id(const std::string& id);
// !runs/<enc(server)>/ : one server's run records (the server name encoded like a database name).
std::string server_runs_folder(const std::string& server);
// !runs/<enc(server)>/<run id>.json
std::string run_key(const std::string& server, const std::string& run_id);
// A parsed run key.
struct RunKey {
  std::string server;
  std::string id;
  TimePoint time{};
};
// The server and run id of a key made by run_key; nullopt for any other key.
std::optional<RunKey> parse_run_key(const std::string& key);

// What a key under the prefix is.
struct ParsedKey {
  enum class Kind { kData, kManifest, kLegacy };
  Kind kind;
  std::string db;
  std::string id;  // YYYYMMDDTHHMMSSZ, or YYYY_MM_DD for legacy objects
  TimePoint time{};  // UTC; legacy objects: noon UTC of their date (same day in nearly every zone)
  bool encrypted = false;
  std::string legacy_kind;  // DAILY, WEEKLY, MONTHLY, YEARLY
};

// Parses a key (relative to the prefix) of the new layout, or of the old Python tool
// (`<db>-YYYY_MM_DD-DAILY.dump`); nullopt for anything else (never deleted).
std::optional<ParsedKey> parse_key(const std::string& key);

}  // namespace bb
