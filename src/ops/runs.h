// Run records: after every backup run (CLI, scheduler, bot, console) its status goes into
// the store as one JSON object under !runs/<server>/<run id>.json (docs/storage-layout.md),
// so a console that reads the bucket sees every server's runs without a database of its own.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "catalog/keys.h"
#include "config/config.h"
#include "ops/backup.h"
#include "util/time.h"

namespace bb {

class Storage;

// Run records kept per server; older ones are deleted after each new one is written.
constexpr std::size_t kRunRecordsKept = 100;

// One backup run as stored.
struct RunRecord {
  std::string server;        // [backup] server_name, else the host name
  std::string id;            // format_run_id(started_at)
  TimePoint started_at{};
  TimePoint finished_at{};
  std::string command;       // what started it: "backup", "scheduled backup", "backup (web console)", ...
  std::string error;         // the run itself failed (no PostgreSQL, ...); results may be empty
  std::string tool_version;
  std::vector<BackupResult> results;
  // Databases of the run (vanished ones not counted) and how many were backed up.
  std::size_t databases() const;
  std::size_t backed_up() const;
  // No error and every database backed up.
  bool ok() const;
};

// The name this server's records go under: [backup] server_name, else the host name.
std::string run_server_name(const Config& config);
// A record for a run starting now (server, id, start, command, tool version).
RunRecord begin_run_record(const Config& config, const std::string& command, TimePoint now);
// The stored JSON object (format "backupbuddy-run", format_version 1).
nlohmann::ordered_json run_record_json(const RunRecord& record);
// Reads a stored record; unknown fields are ignored. Throws OperationError for text that is
// not a run record or has a format_version above 1.
RunRecord parse_run_record(const std::string& text);

// Writes the record, then deletes this server's records beyond the newest kRunRecordsKept
// (only keys parse_run_key accepts). Never throws: a failure is a warning in the log.
void store_run_record(Storage& storage, const RunRecord& record);

// The run record keys in the store (every server), newest first.
std::vector<RunKey> list_run_keys(Storage& storage);
// One record. Throws NotFoundError (absent) or OperationError (unreadable).
RunRecord read_run_record(Storage& storage, const RunKey& key);
// The newest readable record of each server in the store, by server name; an unreadable
// newest record is skipped for the one before it.
std::vector<RunRecord> last_runs_by_server(Storage& storage);
// The same choice over records already read (newest first): the first of each server, by
// server name. Pure.
std::vector<RunRecord> newest_per_server(const std::vector<RunRecord>& newest_first);

}  // namespace bb
