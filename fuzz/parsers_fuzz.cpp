// libFuzzer target for BackupBuddy's parsers of untrusted text. The first input byte
// picks the parser, the rest is its input:
//   'c'  parse_config (TOML; even-length inputs see S3/PG/Telegram secrets in the env)
//   'm'  manifest_from_json, and a manifest_to_json round trip of what it accepts
//   'k'  parse_key, decode_db_name, parse_backup_id (+ round-trip properties)
//   'x'  the S3 answers: parse_error, parse_list_objects, parse_list_uploads,
//        parse_initiate_upload, parse_delete_result, parse_iso8601, parse_http_date
//   't'  Telegram getUpdates JSON -> parse_update -> Conversation::handle (fake backend)
//   'u'  parse_user_time (UTC and Europe/Moscow)
//   's'  CronSchedule::parse (+ next_after / previous_at_or_before when it parses)
//   'z'  parse_size and parse_duration
// Any other first byte picks a parser by its value modulo 8. Each parser may only fail
// the way its header documents (a bb::Error subclass, std::invalid_argument for sizes
// and durations); anything else escapes and ends the run as a crash, and so do
// sanitizer reports and a broken property (std::abort after a line on stderr).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "bot/conversation.h"
#include "notify/telegram_api.h"
#include "catalog/keys.h"
#include "catalog/manifest.h"
#include "config/config.h"
#include "schedule/cron.h"
#include "storage/s3/s3_xml.h"
#include "util/error.h"
#include "util/timezone.h"

namespace {

[[noreturn]] void violated(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "\nPROPERTY VIOLATED: %s\n  %.*s\n", what, static_cast<int>(std::min<std::size_t>(detail.size(), 2000)),
               detail.data());
  std::abort();
}

// ---- config ------------------------------------------------------------------------

std::optional<std::string> no_env(const char*) { return std::nullopt; }

std::optional<std::string> full_env(const char* name) {
  static const std::map<std::string, std::string> env = {
      {"AWS_ACCESS_KEY_ID", "FUZZKEYID"},
      {"AWS_SECRET_ACCESS_KEY", "fuzz-secret-access-key"},
      {"PGPASSWORD", "fuzz-pg-password"},
      {"BACKUPBUDDY_TELEGRAM_TOKEN", "123:fuzz-token"},
  };
  auto it = env.find(name);
  if (it == env.end()) return std::nullopt;
  return it->second;
}

void fuzz_config(const std::string& text) {
  try {
    bb::Config cfg = bb::parse_config(text, "fuzz.toml", text.size() % 2 == 0 ? full_env : no_env);
    // What validation promises about an accepted config.
    if (cfg.storage.type == bb::StorageType::kS3 &&
        (cfg.storage.bucket.empty() || cfg.storage.endpoint.empty()))
      violated("config: s3 storage accepted without bucket or endpoint", text);
    if (!cfg.storage.prefix.empty() && cfg.storage.prefix.back() != '/')
      violated("config: storage.prefix accepted not ending in '/'", text);
    if (cfg.storage.part_size_bytes < (5ull << 20) || cfg.storage.part_size_bytes > (5ull << 30))
      violated("config: part_size outside 5MiB..5GiB accepted", text);
    if (!(cfg.backup.shrink_warning >= 0 && cfg.backup.shrink_warning <= 1))
      violated("config: backup.shrink_warning outside 0..1 (or NaN) accepted", text);
    if (cfg.storage.timeout.count() < 0 || cfg.backup.catch_up.count() < 0 ||
        cfg.backup.lock_wait_timeout.count() < 0 || cfg.backup.stall_timeout.count() < 1 ||
        cfg.verify.max_age.count() < 0)
      violated("config: a negative duration accepted", text);
    for (const auto& db : cfg.databases) {
      auto r = cfg.retention_for(db.name);
      if (r.daily.value_or(0) == 0 && r.weekly.value_or(0) == 0 && r.monthly.value_or(0) == 0 &&
          r.yearly.value_or(0) == 0)
        violated("config: a database whose retention keeps nothing accepted", text);
    }
    if (!cfg.encryption.recipients.empty() && cfg.encryption.passphrase_file)
      violated("config: recipients and passphrase_file both accepted", text);
  } catch (const bb::ConfigError&) {
  }
}

// ---- sizes and durations -------------------------------------------------------------

void fuzz_size_duration(const std::string& text) {
  try {
    std::uint64_t n = bb::parse_size(text);
    if (n == 0) violated("parse_size: returned 0", text);
  } catch (const std::invalid_argument&) {
  }
  try {
    auto d = bb::parse_duration(text);
    if (d.count() < 0) violated("parse_duration: returned a negative duration", text);
  } catch (const std::invalid_argument&) {
  }
}

// ---- manifest ----------------------------------------------------------------------

bool same(const bb::Manifest& a, const bb::Manifest& b) {
  return a.format_version == b.format_version && a.database == b.database && a.id == b.id &&
         a.data_key == b.data_key && a.server_version == b.server_version &&
         a.pg_dump_version == b.pg_dump_version && a.started_at == b.started_at &&
         a.finished_at == b.finished_at && a.dump_bytes == b.dump_bytes && a.stored_bytes == b.stored_bytes &&
         a.sha256 == b.sha256 && a.compression == b.compression && a.compression_level == b.compression_level &&
         a.encryption_recipients == b.encryption_recipients && a.tool_version == b.tool_version &&
         a.encoding == b.encoding && a.collate == b.collate && a.ctype == b.ctype &&
         a.table_count == b.table_count && a.database_size_bytes == b.database_size_bytes &&
         a.row_counts == b.row_counts;
}

void fuzz_manifest(const std::string& text) {
  bb::Manifest m;
  try {
    m = bb::manifest_from_json(text, "fuzz/20260101T000000Z.json");
  } catch (const bb::OperationError&) {
    return;
  }
  if (m.format_version > bb::Manifest::kFormatVersion) violated("manifest: newer format version accepted", text);
  if (m.sha256.size() != 64) violated("manifest: sha256 of the wrong length accepted", text);
  // Numbers are taken as written or refused, never wrapped or truncated into range.
  {
    nlohmann::json j = nlohmann::json::parse(text);
    if (j.at("format_version") != m.format_version) violated("manifest: format_version changed on reading", text);
    for (const char* key : {"compression_level", "table_count", "database_size_bytes"}) {
      if (!j.contains(key)) continue;
      const nlohmann::json& v = j.at(key);
      bool same_number = std::string_view(key) == "compression_level" ? v == m.compression_level
                         : std::string_view(key) == "table_count"     ? v == m.table_count
                                                                      : v == m.database_size_bytes;
      if (!same_number) violated("manifest: a number changed on reading (wrapped or truncated)", text);
    }
  }
  // What we accepted, we write back identically.
  std::string again = bb::manifest_to_json(m);
  bb::Manifest back;
  try {
    back = bb::manifest_from_json(again, "fuzz/round-trip");
  } catch (const bb::OperationError& e) {
    violated("manifest: manifest_to_json output of an accepted manifest is rejected", again + "\n" + e.what());
  }
  if (!same(m, back)) violated("manifest: round trip through manifest_to_json changed it", text + "\n---\n" + again);
}

// ---- keys ----------------------------------------------------------------------------

void fuzz_keys(const std::string& text) {
  // decode_db_name: "nullopt for text that encode_db_name could not have produced".
  if (auto name = bb::decode_db_name(text)) {
    if (bb::encode_db_name(*name) != text)
      violated("decode_db_name accepted a segment encode_db_name never writes", text);
  }
  // encode_db_name always writes one safe key segment that decodes back.
  if (!text.empty()) {
    std::string seg = bb::encode_db_name(text);
    if (seg.find('/') != std::string::npos || seg == "." || seg == "..")
      violated("encode_db_name: not a single safe key segment", text);
    auto back = bb::decode_db_name(seg);
    if (!back || *back != text) violated("decode_db_name(encode_db_name(x)) != x", text);
  }
  if (auto t = bb::parse_backup_id(text)) {
    if (bb::format_backup_id(*t) != text) violated("parse_backup_id accepted a non-canonical id", text);
  }
  if (auto p = bb::parse_key(text)) {
    if (p->db.empty()) violated("parse_key: empty database name", text);
    switch (p->kind) {
      case bb::ParsedKey::Kind::kData:
        if (bb::data_key(p->db, p->id, p->encrypted) != text)
          violated("parse_key: data key that data_key() would not write", text);
        break;
      case bb::ParsedKey::Kind::kManifest:
        if (bb::manifest_key(p->db, p->id) != text)
          violated("parse_key: manifest key that manifest_key() would not write", text);
        break;
      case bb::ParsedKey::Kind::kLegacy:
        if (p->db + "-" + p->id + "-" + p->legacy_kind + ".dump" != text)
          violated("parse_key: legacy key parsed into other parts", text);
        if (p->db.find('/') != std::string::npos) violated("parse_key: legacy database name with '/'", text);
        break;
    }
    if (p->kind != bb::ParsedKey::Kind::kLegacy && bb::format_backup_id(p->time) != p->id)
      violated("parse_key: time does not match id", text);
  }
}

// ---- S3 XML --------------------------------------------------------------------------

// The Delete body we would send for these keys must carry exactly these keys.
void check_delete_body(const std::vector<std::string>& keys) {
  if (keys.empty()) return;
  std::string body = bb::s3::delete_objects_xml(keys);
  pugi::xml_document doc;
  if (!doc.load_string(body.c_str(), pugi::parse_default | pugi::parse_ws_pcdata))
    violated("delete_objects_xml wrote malformed XML", body);
  std::vector<std::string> back;
  for (pugi::xml_node o : doc.child("Delete").children("Object")) back.push_back(o.child("Key").text().as_string());
  if (back != keys) violated("delete_objects_xml: keys do not survive escaping", body);
}

void fuzz_s3_xml(const std::string& text) {
  std::string_view body(text);
  try {
    (void)bb::s3::parse_error(body);  // never throws: nullopt for a non-<Error> body
  } catch (const std::exception& e) {
    violated("parse_error threw", e.what());
  }
  try {
    bb::s3::ListPage page = bb::s3::parse_list_objects(body);
    if (page.truncated && page.next_continuation_token.empty())
      violated("parse_list_objects: truncated page without a continuation token", text);
    std::vector<std::string> keys;
    for (const auto& o : page.objects)
      if (!o.key.empty()) keys.push_back(o.key);
    if (keys.size() > 1000) keys.resize(1000);
    check_delete_body(keys);
  } catch (const bb::StorageError&) {
  }
  try {
    (void)bb::s3::parse_list_uploads(body);
  } catch (const bb::StorageError&) {
  }
  try {
    if (bb::s3::parse_initiate_upload(body).empty()) violated("parse_initiate_upload returned an empty id", text);
  } catch (const bb::StorageError&) {
  }
  try {
    (void)bb::s3::parse_delete_result(body);
  } catch (const bb::StorageError&) {
  }
  try {
    (void)bb::s3::parse_iso8601(body.substr(0, 64));
  } catch (const bb::StorageError&) {
  }
  (void)bb::s3::parse_http_date(body.substr(0, 64));
}

// ---- time typed by a user; cron -----------------------------------------------------

const date::time_zone* zone_utc() {
  static const date::time_zone* z = bb::resolve_zone("UTC");
  return z;
}
const date::time_zone* zone_moscow() {
  static const date::time_zone* z = bb::resolve_zone("Europe/Moscow");
  return z;
}
const date::time_zone* zone_berlin() {
  static const date::time_zone* z = bb::resolve_zone("Europe/Berlin");
  return z;
}

void fuzz_user_time(const std::string& text) {
  for (const date::time_zone* z : {zone_utc(), zone_moscow()}) {
    try {
      bb::TimePoint t = bb::parse_user_time(text, z);
      (void)bb::format_local(t, z);
    } catch (const bb::ConfigError&) {
    }
  }
}

void fuzz_cron(const std::string& text) {
  std::optional<bb::CronSchedule> s;
  try {
    s = bb::CronSchedule::parse(text);
  } catch (const bb::ConfigError&) {
    return;
  }
  const bb::TimePoint start = *bb::parse_backup_id("20261025T003000Z");  // Berlin fall-back night
  for (const date::time_zone* z : {zone_utc(), zone_berlin()}) {
    bb::TimePoint t = start;
    for (int i = 0; i < 3; ++i) {
      bb::TimePoint next = s->next_after(t, z);
      if (next <= t) violated("cron: next_after did not move forward", text);
      t = next;
    }
    auto prev = s->previous_at_or_before(t, z);
    if (!prev || *prev > t) violated("cron: previous_at_or_before(a fire time) is not that time or earlier", text);
  }
}

// ---- Telegram ------------------------------------------------------------------------

constexpr std::int64_t kAdmin = 111;

// An in-memory core for the conversation, with hostile database names.
class FakeBackend : public bb::bot::BotBackend {
 public:
  std::map<std::string, std::vector<bb::bot::BotBackup>> stored;
  std::vector<std::string> configured{"buh2_db", "zup3", "we\"ird db/../x"};

  FakeBackend() {
    for (const char* db : {"buh2_db", "zup3", "..", "we\"ird db/../x", "база"}) {
      for (int day = 1; day <= 11; ++day) {
        char id[32];
        std::snprintf(id, sizeof id, "202409%02dT010000Z", day);
        stored[db].push_back({id, *bb::parse_backup_id(id), static_cast<std::uint64_t>(day) << 20});
      }
    }
    stored["empty"];
  }
  bool has_backup(const std::string& db, const std::string& id) const {
    auto it = stored.find(db);
    if (it == stored.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(), [&](const auto& b) { return b.id == id; });
  }

  std::vector<bb::bot::BotDatabase> databases() override {
    std::vector<bb::bot::BotDatabase> out;
    for (const auto& [db, list] : stored) {
      bb::bot::BotDatabase d{db, list.size(), std::nullopt};
      for (const auto& b : list)
        if (!d.newest || b.time > *d.newest) d.newest = b.time;
      out.push_back(d);
    }
    return out;
  }
  std::vector<bb::bot::BotBackup> backups(const std::string& db) override {
    auto it = stored.find(db);
    return it == stored.end() ? std::vector<bb::bot::BotBackup>{} : it->second;
  }
  std::string restore_target(const std::string& db) override { return db + "_archive"; }
  bb::RestoreResult restore(const std::string& db, const std::string& id, const bb::ProgressCallback& progress) override {
    if (!has_backup(db, id)) violated("telegram: restore of a backup that was never offered", db + " " + id);
    if (progress) progress(50, 100);
    if (db == "zup3") throw bb::OperationError("restore failed on purpose");
    bb::RestoreResult r;
    r.database = db + "_archive";
    r.source = db;
    r.backup_id = id;
    r.seconds = 72;
    return r;
  }
  std::vector<bb::bot::BotArchive> archives() override {
    return {{"buh2_db_archive", "buh2_db", "20240901T010000Z", "2024-09-20T10:00:00Z"},
            {"..", "..", "20240902T010000Z", "2024-09-20T10:00:00Z"}};
  }
  void drop_archive(const std::string& name) override {
    if (name != "buh2_db_archive" && name != "..") violated("telegram: drop of an archive that was never offered", name);
  }
  bb::BackupResult backup(const std::string& db, const bb::ProgressCallback&) override {
    if (std::find(configured.begin(), configured.end(), db) == configured.end())
      violated("telegram: backup of a database that is not configured", db);
    if (db == "zup3") throw bb::LockHeldError("lock held on purpose");
    bb::BackupResult r;
    r.database = db;
    r.ok = true;
    r.id = "20240919T010000Z";
    r.stored_bytes = 5 << 20;
    r.seconds = 3;
    return r;
  }
  std::vector<std::string> configured_databases() override { return configured; }
  std::map<std::string, bb::DatabaseState> status() override {
    bb::DatabaseState s;
    s.backup_at = bb::parse_iso_utc("2024-09-19T01:00:00Z");
    s.backup_ok = true;
    s.stored_bytes = 123 << 20;
    s.verified_at = bb::parse_iso_utc("2024-09-19T02:00:00Z");
    s.verify_ok = true;
    return {{"buh2_db", s}};
  }
};

void check_actions(const std::vector<bb::bot::Action>& actions, const bb::bot::Incoming* from) {
  for (const auto& a : actions) {
    for (const auto& row : a.keyboard)
      for (const auto& b : row)
        if (b.data.empty() || b.data.size() > 64) violated("telegram: button data empty or over 64 bytes", b.data);
    if ((a.kind == bb::bot::Action::Kind::kSend || a.kind == bb::bot::Action::Kind::kEdit) && a.text.empty())
      violated("telegram: empty message text");
    if (from && from->user_id != kAdmin && a.kind != bb::bot::Action::Kind::kLog)
      violated("telegram: a non-admin got an answer", from->text + from->data);
  }
}

void fuzz_telegram(const std::string& text) {
  using nlohmann::json;
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return;
  // A getUpdates answer, a list of updates, or one update.
  json updates = doc.is_object() && doc.contains("result") ? doc["result"] : doc;
  if (!updates.is_array()) updates = json::array({updates});

  static FakeBackend backend;
  bb::bot::ConversationSettings settings;
  settings.admins = {kAdmin};
  settings.language = text.size() % 2 ? bb::bot::Language::kEn : bb::bot::Language::kRu;
  settings.zone = zone_moscow();
  settings.page_size = 4;
  settings.max_offers_per_chat = 12;
  bb::bot::Conversation conv(backend, settings);
  std::size_t handled = 0;
  for (const json& u : updates) {
    if (++handled > 64) break;
    bb::bot::RawUpdate raw;
    try {
      raw = bb::bot::parse_update(u);
    } catch (const std::exception& e) {
      violated("parse_update threw", e.what());
    }
    std::vector<bb::bot::Action> actions = conv.handle(raw.incoming);
    check_actions(actions, &raw.incoming);
    // Run the jobs it started, as the bot does with the job queue: handed in (at a place in
    // line), its message sent, started, progress, finished.
    for (std::size_t i = 0; i < actions.size(); ++i) {
      const auto& a = actions[i];
      if (a.kind == bb::bot::Action::Kind::kSend && a.job_id) check_actions(conv.job_message_sent(a.job_id, 4242), nullptr);
      if (a.kind != bb::bot::Action::Kind::kStartJob || !a.job) continue;
      bb::bot::Job job = *a.job;
      for (const auto& said : conv.job_submitted(job.id, job.id % 3)) {
        check_actions({said}, nullptr);
        if (said.kind == bb::bot::Action::Kind::kSend && said.job_id)
          check_actions(conv.job_message_sent(said.job_id, 4243), nullptr);
      }
      check_actions(conv.job_waiting(job.id, 1), nullptr);
      check_actions(conv.job_started(job.id), nullptr);
      check_actions(conv.job_progress(job.id, 10, 100), nullptr);
      bb::bot::JobOutcome outcome = bb::bot::run_job(backend, job, {});
      auto more = conv.job_finished(job.id, outcome);
      check_actions(more, nullptr);
      actions.insert(actions.end(), more.begin(), more.end());
    }
  }
  check_actions(conv.cancel_queued(), nullptr);
}

enum class Target { kConfig, kManifest, kKeys, kS3Xml, kTelegram, kUserTime, kCron, kSizeDuration };

Target pick(std::uint8_t b) {
  switch (b) {
    case 'c': return Target::kConfig;
    case 'm': return Target::kManifest;
    case 'k': return Target::kKeys;
    case 'x': return Target::kS3Xml;
    case 't': return Target::kTelegram;
    case 'u': return Target::kUserTime;
    case 's': return Target::kCron;
    case 'z': return Target::kSizeDuration;
    default: return static_cast<Target>(b % 8);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (pick(data[0])) {
    case Target::kConfig: fuzz_config(text); break;
    case Target::kManifest: fuzz_manifest(text); break;
    case Target::kKeys: fuzz_keys(text); break;
    case Target::kS3Xml: fuzz_s3_xml(text); break;
    case Target::kTelegram: fuzz_telegram(text); break;
    case Target::kUserTime: fuzz_user_time(text); break;
    case Target::kCron: fuzz_cron(text); break;
    case Target::kSizeDuration: fuzz_size_duration(text); break;
  }
  return 0;
}
