// The --json shapes, moved here from the command line so the web console serves the same.
#include "ops/json.h"

#include "catalog/keys.h"
#include "util/time.h"

namespace bb {

using ojson = nlohmann::ordered_json;

ojson overview_json(const StoreOverview& overview) {
  ojson j;
  j["databases"] = ojson::array();
  for (const auto& d : overview.databases) {
    bool verified = d.state && d.state->verified_at;
    j["databases"].push_back({{"name", d.name},
                              {"count", d.count},
                              {"newest", format_iso_utc(d.newest.time)},
                              {"newest_id", d.newest.id},
                              {"future_dated", d.future_dated},
                              {"stored_bytes", d.stored_bytes},
                              {"last_verified", verified ? ojson(format_iso_utc(*d.state->verified_at)) : ojson(nullptr)},
                              {"verify_ok", d.state ? d.state->verify_ok : false}});
  }
  j["orphan_objects"] = overview.orphan_objects;
  j["unrecognized_objects"] = overview.unrecognized_objects;
  return j;
}

ojson database_json(const std::string& database, const std::vector<BackupListing>& rows) {
  ojson j;
  j["database"] = database;
  j["backups"] = ojson::array();
  for (const auto& r : rows) {
    ojson e{{"id", r.entry.id},
            {"time", format_iso_utc(r.entry.time)},
            {"dump_bytes", r.manifest ? ojson(r.manifest->dump_bytes) : ojson(nullptr)},
            {"stored_bytes", r.entry.stored_bytes},
            {"key", r.entry.data_key},
            {"legacy", r.entry.legacy},
            {"encrypted", r.entry.encrypted},
            {"kept_by", r.kept_by}};
    if (r.manifest) e["sha256"] = r.manifest->sha256;
    e["trusted"] = r.entry.distrust.empty();
    if (!r.entry.distrust.empty()) e["problem"] = r.entry.distrust;
    j["backups"].push_back(e);
  }
  return j;
}

ojson archives_json(const std::vector<ArchiveInfo>& archives, std::size_t other_archives) {
  ojson j;
  j["archives"] = ojson::array();
  for (const auto& a : archives) {
    auto tp = parse_backup_id(a.marker.backup_id);
    j["archives"].push_back({{"name", a.name},
                             {"source", a.marker.source},
                             {"backup", a.marker.backup_id},
                             {"backup_time", tp ? ojson(format_iso_utc(*tp)) : ojson(nullptr)},
                             {"restored_at", a.marker.restored_at},
                             {"size_bytes", a.size_bytes},
                             {"configured_source", a.configured_source}});
  }
  j["other_archives"] = other_archives;
  return j;
}

// {"tables": N, "rows": M, "mismatched": [...]}, or {"checked": false, "reason": ...}.
ojson row_check_json(const RowCheck& check) {
  if (!check.checked) return {{"checked", false}, {"reason", check.not_checked}};
  ojson mismatched = ojson::array();
  for (const auto& m : check.mismatched)
    mismatched.push_back({{"schema", m.schema},
                          {"table", m.table},
                          {"expected", m.expected},
                          {"found", m.found ? ojson(*m.found) : ojson(nullptr)}});
  return {{"checked", true}, {"tables", check.tables}, {"rows", check.rows}, {"mismatched", mismatched},
          {"seconds", check.seconds}};
}

ojson restore_json(const RestoreResult& r) {
  ojson j{{"database", r.database},    {"source", r.source},
          {"backup", r.backup_id},     {"backup_time", format_iso_utc(r.backup_time)},
          {"legacy", r.legacy},        {"bytes", r.bytes},
          {"seconds", r.seconds},      {"skipped_untrusted", r.skipped_untrusted}};
  j["row_check"] = row_check_json(r.row_check);
  j["created_roles"] = r.created_roles;
  return j;
}

ojson verify_result_json(const VerifyResult& r) {
  return ojson{{"database", r.database}, {"id", r.id}, {"ok", r.ok},
               {"error", r.ok ? ojson(nullptr) : ojson(r.error)},
               {"stored_bytes", r.stored_bytes}, {"dump_bytes", r.dump_bytes},
               {"toc_entries", r.toc_entries}, {"tables", r.tables}, {"rows", r.rows},
               {"restore_tested", r.restore_tested}, {"seconds", r.seconds}};
}

ojson backup_result_json(const BackupResult& r) {
  return ojson{{"database", r.database},
               {"ok", r.ok},
               {"id", r.ok ? ojson(r.id) : ojson(nullptr)},
               {"dump_bytes", r.dump_bytes},
               {"stored_bytes", r.stored_bytes},
               {"seconds", r.seconds},
               {"error", r.ok ? ojson(nullptr) : ojson(r.error)},
               {"verified", r.verified},
               {"warnings", r.warnings},
               {"first_backup", r.first_backup}};
}

}  // namespace bb
