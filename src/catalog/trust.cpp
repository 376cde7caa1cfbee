// Trust of stored backups: manifest consistency and future dates.
#include "catalog/trust.h"

#include "util/format.h"

namespace bb {

namespace {

// 36000 s -> "10 h 00 min"; 125 s -> "2 min" (nearest minute); 30 s -> "30 s".
std::string ahead_text(std::chrono::seconds ahead) {
  long s = static_cast<long>(ahead.count());
  if (s < 60) return std::to_string(s) + " s";
  s += 30;  // to the nearest minute
  long h = s / 3600, m = (s % 3600) / 60;
  if (h == 0) return std::to_string(m) + " min";
  if (h >= 48) return std::to_string(h / 24) + " days";
  return std::to_string(h) + " h " + (m < 10 ? "0" : "") + std::to_string(m) + " min";
}

}  // namespace

std::string future_date_reason(const BackupEntry& entry, TimePoint now) {
  // A legacy object carries only a local date (its time is noon UTC of it), which can be
  // up to a day ahead of UTC; a new-layout id is the UTC start time.
  const auto tolerance = entry.legacy ? std::chrono::seconds(std::chrono::hours(36)) : kClockTolerance;
  if (entry.time <= now + tolerance) return "";
  auto ahead = std::chrono::duration_cast<std::chrono::seconds>(entry.time - now);
  return "dated " + ahead_text(ahead) + " in the future (" + format_iso_utc(entry.time) +
         "): clock skew on the host that wrote it?";
}

std::string distrust_reason(const BackupEntry& entry, const Manifest* m, const std::string& manifest_error,
                            TimePoint now) {
  if (std::string future = future_date_reason(entry, now); !future.empty()) return future;
  if (entry.legacy) return "";
  if (!m) return "its manifest cannot be used: " + (manifest_error.empty() ? std::string("none was read") : manifest_error);
  if (m->database != entry.db)
    return "its manifest describes database " + quote_name(m->database) + ", not " + quote_name(entry.db);
  if (m->id != entry.id) return "its manifest describes backup " + quote_name(m->id) + ", not " + entry.id;
  if (m->data_key != entry.data_key)
    return "its manifest describes object " + quote_name(m->data_key) + ", not " + quote_name(entry.data_key);
  if (m->finished_at > now + kClockTolerance) {
    auto ahead = std::chrono::duration_cast<std::chrono::seconds>(m->finished_at - now);
    return "its manifest says it finished " + ahead_text(ahead) + " in the future (" + format_iso_utc(m->finished_at) +
           "): clock skew on the host that wrote it?";
  }
  return "";
}

const BackupEntry* newest_trusted(const std::vector<BackupEntry>& newest_first) {
  for (const auto& e : newest_first)
    if (e.distrust.empty()) return &e;
  return nullptr;
}

}  // namespace bb
