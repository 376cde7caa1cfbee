// Manifest: the JSON document written LAST beside each backup's data object. A backup
// exists only once its manifest exists. Format documented in docs/storage-layout.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "catalog/keys.h"

namespace bb {

// Rows per table, keyed by (schema, table).
using RowCounts = std::map<std::pair<std::string, std::string>, std::uint64_t>;

struct Manifest {
  static constexpr int kFormatVersion = 1;
  int format_version = kFormatVersion;
  std::string database;
  std::string id;          // YYYYMMDDTHHMMSSZ
  std::string data_key;    // relative to the prefix
  std::string server_version;   // e.g. "15.18"
  std::string pg_dump_version;  // e.g. "pg_dump (PostgreSQL) 15.18"
  TimePoint started_at{};
  TimePoint finished_at{};
  std::uint64_t dump_bytes = 0;    // pg_dump's output (custom format, uncompressed)
  std::uint64_t stored_bytes = 0;  // the stored object
  std::string sha256;              // hex SHA-256 of the stored object
  std::string compression = "zstd";
  int compression_level = 3;
  std::vector<std::string> encryption_recipients;  // age public keys; empty: not encrypted
  std::string tool_version;
  // Source database properties, so restore recreates it faithfully.
  std::string encoding;
  std::string collate;
  std::string ctype;
  std::int64_t table_count = -1;  // user tables at backup time; -1 unknown
  std::uint64_t database_size_bytes = 0;
  // Rows of every table as the dump holds them (counted from the stream at backup time);
  // empty in manifests written before this was recorded.
  RowCounts row_counts;
  // False for a manifest without row counts (written before they were recorded).
  bool row_counts_recorded = true;
};

// Serialises a manifest (stable key order, indented).
std::string manifest_to_json(const Manifest& m);
// Parses a manifest; throws OperationError naming `where` on malformed or newer-format input.
Manifest manifest_from_json(const std::string& text, const std::string& where);

}  // namespace bb
