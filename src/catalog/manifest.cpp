// Manifest JSON (nlohmann-json).
#include "catalog/manifest.h"

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace bb {
namespace {

// "2026-11-24T04:00:00Z" -> time point (the exact form manifest_to_json writes).
std::optional<TimePoint> parse_iso(const std::string& text) {
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  std::string id = text.substr(0, 4) + text.substr(5, 2) + text.substr(8, 2) + "T" + text.substr(11, 2) +
                   text.substr(14, 2) + text.substr(17, 3);
  return parse_backup_id(id);
}

}  // namespace

std::string manifest_to_json(const Manifest& m) {
  nlohmann::ordered_json j;
  j["format"] = "backupbuddy-manifest";
  j["format_version"] = m.format_version;
  j["database"] = m.database;
  j["id"] = m.id;
  j["data_key"] = m.data_key;
  j["server_version"] = m.server_version;
  j["pg_dump_version"] = m.pg_dump_version;
  j["started_at"] = format_iso_utc(m.started_at);
  j["finished_at"] = format_iso_utc(m.finished_at);
  j["dump_bytes"] = m.dump_bytes;
  j["stored_bytes"] = m.stored_bytes;
  j["sha256"] = m.sha256;
  j["compression"] = m.compression;
  j["compression_level"] = m.compression_level;
  j["encryption"] = m.encryption_recipients.empty()
                        ? nlohmann::ordered_json(nullptr)
                        : nlohmann::ordered_json{{"type", "age"}, {"recipients", m.encryption_recipients}};
  j["tool_version"] = m.tool_version;
  j["database_encoding"] = m.encoding;
  j["database_collate"] = m.collate;
  j["database_ctype"] = m.ctype;
  j["table_count"] = m.table_count;
  j["database_size_bytes"] = m.database_size_bytes;
  j["row_counts"] = nlohmann::ordered_json::array();
  for (const auto& [table, rows] : m.row_counts)
    j["row_counts"].push_back({{"schema", table.first}, {"table", table.second}, {"rows", rows}});
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Manifest manifest_from_json(const std::string& text, const std::string& where) {
  auto bad = [&](const std::string& why) {
    return OperationError("manifest " + where + " is unreadable: " + why +
                          " — the backup cannot be trusted; restore another backup or run verify");
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("not valid JSON (") + e.what() + ")");
  }
  try {
    if (j.value("format", "") != "backupbuddy-manifest") throw bad("not a BackupBuddy manifest");
    Manifest m;
    if (!j.at("format_version").is_number_unsigned() || j.at("format_version").get<std::uint64_t>() > 1000)
      throw bad("format_version is not a small whole number");
    m.format_version = j.at("format_version").get<int>();
    if (m.format_version > Manifest::kFormatVersion)
      throw bad("format version " + std::to_string(m.format_version) +
                " is newer than this BackupBuddy understands — upgrade BackupBuddy");
    m.database = j.at("database").get<std::string>();
    m.id = j.at("id").get<std::string>();
    m.data_key = j.at("data_key").get<std::string>();
    m.server_version = j.value("server_version", "");
    m.pg_dump_version = j.value("pg_dump_version", "");
    auto started = parse_iso(j.at("started_at").get<std::string>());
    auto finished = parse_iso(j.at("finished_at").get<std::string>());
    if (!started || !finished) throw bad("started_at/finished_at are not ISO 8601 UTC times");
    m.started_at = *started;
    m.finished_at = *finished;
    for (const char* key : {"dump_bytes", "stored_bytes"})
      if (!j.at(key).is_number_unsigned()) throw bad(std::string(key) + " is not a whole non-negative number");
    m.dump_bytes = j.at("dump_bytes").get<std::uint64_t>();
    m.stored_bytes = j.at("stored_bytes").get<std::uint64_t>();
    m.sha256 = j.at("sha256").get<std::string>();
    m.compression = j.value("compression", "zstd");
    if (j.contains("compression_level") &&
        (!j["compression_level"].is_number_integer() || j["compression_level"].get<std::int64_t>() < -1000000 ||
         j["compression_level"].get<std::int64_t>() > 1000))
      throw bad("compression_level is not a small whole number");
    m.compression_level = j.value("compression_level", 0);
    if (j.contains("encryption") && !j["encryption"].is_null())
      m.encryption_recipients = j["encryption"].at("recipients").get<std::vector<std::string>>();
    m.tool_version = j.value("tool_version", "");
    m.encoding = j.value("database_encoding", "");
    m.collate = j.value("database_collate", "");
    m.ctype = j.value("database_ctype", "");
    if (j.contains("table_count") &&
        !(j["table_count"].is_number_integer() && j["table_count"].get<std::int64_t>() >= -1 &&
          j["table_count"].get<double>() < 1e12))
      throw bad("table_count is not a whole number");
    m.table_count = j.value("table_count", static_cast<std::int64_t>(-1));
    if (j.contains("database_size_bytes") && !j["database_size_bytes"].is_number_unsigned())
      throw bad("database_size_bytes is not a whole non-negative number");
    m.database_size_bytes = j.value("database_size_bytes", static_cast<std::uint64_t>(0));
    if (m.sha256.size() != 64) throw bad("sha256 is not a 64-digit hex digest");
    m.row_counts_recorded = j.contains("row_counts");
    if (m.row_counts_recorded)
      for (const auto& t : j.at("row_counts")) {
        if (!t.at("rows").is_number_unsigned()) throw bad("row_counts: rows is not a whole non-negative number");
        m.row_counts[{t.at("schema").get<std::string>(), t.at("table").get<std::string>()}] =
            t.at("rows").get<std::uint64_t>();
      }
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("missing or mistyped field (") + e.what() + ")");
  }
}

}  // namespace bb
