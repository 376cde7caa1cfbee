// Key naming: encoding of database names and backup ids.
#include "catalog/keys.h"

#include <chrono>
#include <cstdio>

namespace bb {
namespace {

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '~' || c == '-';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lowercase hex is never produced, so never accepted
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::optional<ParsedKey> parse_legacy(const std::string& key) {
  // <db>-YYYY_MM_DD-KIND.dump ; the db name may itself contain '-' and '/'-free text.
  if (!ends_with(key, ".dump")) return std::nullopt;
  std::string stem = key.substr(0, key.size() - 5);
  std::size_t kind_dash = stem.rfind('-');
  if (kind_dash == std::string::npos) return std::nullopt;
  std::string kind = stem.substr(kind_dash + 1);
  if (kind != "DAILY" && kind != "WEEKLY" && kind != "MONTHLY" && kind != "YEARLY") return std::nullopt;
  std::string rest = stem.substr(0, kind_dash);
  if (rest.size() < 12 || rest[rest.size() - 11] != '-') return std::nullopt;
  std::string date = rest.substr(rest.size() - 10);
  if (!all_digits(date, 0, 4) || date[4] != '_' || !all_digits(date, 5, 2) || date[7] != '_' || !all_digits(date, 8, 2))
    return std::nullopt;
  // Noon UTC: the written date stays the same calendar day in every zone from UTC-12 to
  // UTC+11, so lists and --at show the day the old tool wrote.
  auto time = utc_time(digits_value(date, 0, 4), digits_value(date, 5, 2), digits_value(date, 8, 2), 12, 0, 0);
  if (!time) return std::nullopt;
  std::string db = rest.substr(0, rest.size() - 11);
  if (db.empty() || db.find('/') != std::string::npos) return std::nullopt;
  ParsedKey p{ParsedKey::Kind::kLegacy, db, date, *time, false, kind};
  return p;
}

}  // namespace

std::string encode_db_name(const std::string& name) {
  static const char* hex = "0123456789ABCDEF";
  // "." and ".." would be path segments of their own ("./", "../"): encode their dots too.
  bool dots_only = name == "." || name == "..";
  std::string out;
  for (unsigned char c : name) {
    if (unreserved(c) && !(dots_only && c == '.')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> decode_db_name(const std::string& segment) {
  if (segment.empty()) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < segment.size(); ++i) {
    unsigned char c = segment[i];
    if (c == '%') {
      if (i + 2 >= segment.size()) return std::nullopt;
      int hi = hex_value(segment[i + 1]), lo = hex_value(segment[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      unsigned char decoded = static_cast<unsigned char>(hi * 16 + lo);
      // Not canonical (it would have been written plain), except the dots of "." and "..".
      if (unreserved(decoded) && decoded != '.') return std::nullopt;
      out += static_cast<char>(decoded);
      i += 2;
    } else if (unreserved(c)) {
      out += static_cast<char>(c);
    } else {
      return std::nullopt;
    }
  }
  if (encode_db_name(out) != segment) return std::nullopt;  // only what encode_db_name writes
  return out;
}

std::string format_backup_id(TimePoint time) { return format_compact_utc(time); }

std::optional<TimePoint> parse_backup_id(const std::string& id) { return parse_compact_utc(id); }

std::string data_suffix(bool encrypted) { return encrypted ? ".dump.zst.age" : ".dump.zst"; }

std::string data_key(const std::string& db, const std::string& id, bool encrypted) {
  return encode_db_name(db) + "/" + id + data_suffix(encrypted);
}

std::string manifest_key(const std::string& db, const std::string& id) { return encode_db_name(db) + "/" + id + ".json"; }

std::string globals_key(const std::string& id, bool encrypted) {
  return "_globals/" + id + (encrypted ? ".sql.age" : ".sql");
}

std::optional<std::string> parse_globals_key(const std::string& key) {
  const std::string folder = "_globals/";
  if (key.size() < folder.size() + 16 || key.rfind(folder, 0) != 0) return std::nullopt;
  std::string id = key.substr(folder.size(), 16);
  std::string rest = key.substr(folder.size() + 16);
  if (!parse_backup_id(id) || (rest != ".sql" && rest != ".sql.age")) return std::nullopt;
  return id;
}

std::string runs_folder() { return "!runs/"; }

std::string format_run_id(TimePoint start) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(start.time_since_epoch()).count() % 1000;
  if (ms < 0) ms += 1000;
  std::string id = format_backup_id(start);  // YYYYMMDDTHHMMSSZ
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms));
  return id.substr(0, 15) + frac;
}

std::optional<TimePoint> parse_run_id(const std::string& id) {
  if (id.size() != 20 || id[15] != '.' || id[19] != 'Z' || !all_digits(id, 16, 3)) return std::nullopt;
  auto seconds = parse_backup_id(id.substr(0, 15) + "Z");
  if (!seconds) return std::nullopt;
  return *seconds + std::chrono::milliseconds(digits_value(id, 16, 3));
}

std::string server_runs_folder(const std::string& server) { return runs_folder() + encode_db_name(server) + "/"; }

std::string run_key(const std::string& server, const std::string& run_id) {
  return server_runs_folder(server) + run_id + ".json";
}

std::optional<RunKey> parse_run_key(const std::string& key) {
  const std::string folder = runs_folder();
  if (key.rfind(folder, 0) != 0) return std::nullopt;
  std::string rest = key.substr(folder.size());
  std::size_t slash = rest.find('/');
  if (slash == std::string::npos) return std::nullopt;
  auto server = decode_db_name(rest.substr(0, slash));
  std::string file = rest.substr(slash + 1);
  if (!server || file.size() != 25 || file.compare(20, 5, ".json") != 0) return std::nullopt;
  auto time = parse_run_id(file.substr(0, 20));
  if (!time) return std::nullopt;
  return RunKey{*server, file.substr(0, 20), *time};
}

std::optional<ParsedKey> parse_key(const std::string& key) {
  std::size_t slash = key.find('/');
  if (slash == std::string::npos) return parse_legacy(key);
  if (key.find('/', slash + 1) != std::string::npos) return std::nullopt;
  auto db = decode_db_name(key.substr(0, slash));
  if (!db) return std::nullopt;
  std::string file = key.substr(slash + 1);
  if (file.size() < 16) return std::nullopt;
  auto time = parse_backup_id(file.substr(0, 16));
  if (!time) return std::nullopt;
  std::string rest = file.substr(16);
  ParsedKey p{ParsedKey::Kind::kData, *db, file.substr(0, 16), *time, false, ""};
  if (rest == ".json") p.kind = ParsedKey::Kind::kManifest;
  else if (rest == ".dump.zst") p.encrypted = false;
  else if (rest == ".dump.zst.age") p.encrypted = true;
  else return std::nullopt;
  return p;
}

}  // namespace bb
