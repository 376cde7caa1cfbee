// Config loading: TOML -> Config, with strict validation. Every problem names
// file:line, the key, and what to write instead.
#include "config/config.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "crypto/age.h"
#include "crypto/password.h"
#include "schedule/cron.h"
#include "util/error.h"
#include "util/file_exposure.h"
#include "util/log.h"
#include "util/timezone.h"
#include "util/format.h"

namespace bb {
namespace {

// A value from the config file quoted for an error message, cut at kQuotedValueMaxBytes.
std::string quote_value(const std::string& value) { return quote_name(value, kQuotedValueMaxBytes); }

std::string where(const std::string& file, const toml::source_region& src) {
  std::ostringstream out;
  out << file;
  if (src.begin.line > 0) out << ":" << src.begin.line;
  return out.str();
}

// Reads one TOML table, remembering which keys were consumed so that unknown keys
// (typos) are reported instead of silently ignored.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string section, const std::string& file)
      : table_(table), section_(std::move(section)), file_(file) {}

  [[noreturn]] void fail(const toml::node& node, const std::string& key, const std::string& what) const {
    throw ConfigError(where(file_, node.source()) + ": " + qualified(key) + ": " + what);
  }

  std::string qualified(const std::string& key) const {
    return section_.empty() ? key : section_ + "." + key;
  }

  const toml::node* node(const std::string& key) {
    seen_.insert(key);
    return table_.get(key);
  }

  std::optional<std::string> string(const std::string& key) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    if (!n->is_string()) fail(*n, key, "expected a string in quotes, got " + type_name(*n));
    return n->value<std::string>();
  }

  std::optional<bool> boolean(const std::string& key) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    if (!n->is_boolean()) fail(*n, key, "expected true or false, got " + type_name(*n));
    return n->value<bool>();
  }

  std::optional<std::int64_t> integer(const std::string& key, std::int64_t min, std::int64_t max) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    if (!n->is_integer()) fail(*n, key, "expected a whole number, got " + type_name(*n));
    std::int64_t v = *n->value<std::int64_t>();
    if (v < min || v > max)
      fail(*n, key, "value " + std::to_string(v) + " is out of range; use " + std::to_string(min) +
                        ".." + std::to_string(max));
    return v;
  }

  // A size: integer bytes or "16MiB".
  // A rate like "20MB/s" or "500KB/s" (a size per second), in bytes per second.
  std::optional<std::uint64_t> rate(const std::string& key) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    std::string text = n->is_string() ? *n->value<std::string>() : "";
    if (text.size() < 3 || text.compare(text.size() - 2, 2, "/s") != 0)
      fail(*n, key, "expected a rate like \"20MB/s\" or \"500KB/s\"");
    try {
      return parse_size(text.substr(0, text.size() - 2));
    } catch (const std::invalid_argument& e) {
      fail(*n, key, e.what());
    }
  }
  std::optional<std::uint64_t> size(const std::string& key) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    if (n->is_integer()) {
      std::int64_t v = *n->value<std::int64_t>();
      if (v <= 0) fail(*n, key, "a size must be positive");
      return static_cast<std::uint64_t>(v);
    }
    if (!n->is_string()) fail(*n, key, "expected a size like \"16MiB\" or a number of bytes");
    try {
      return parse_size(*n->value<std::string>());
    } catch (const std::invalid_argument& e) {
      fail(*n, key, e.what());
    }
  }

  // A duration: "500ms", "30s", "5m", "6h", "1d".
  std::optional<std::chrono::milliseconds> duration(const std::string& key) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    if (!n->is_string()) fail(*n, key, "expected a duration like \"30s\", \"5m\" or \"6h\"");
    try {
      return parse_duration(*n->value<std::string>());
    } catch (const std::invalid_argument& e) {
      fail(*n, key, e.what());
    }
  }

  std::optional<std::vector<std::string>> string_array(const std::string& key) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    const toml::array* arr = n->as_array();
    if (!arr) fail(*n, key, "expected a list of strings like [\"a\", \"b\"]");
    std::vector<std::string> out;
    for (const auto& item : *arr) {
      if (!item.is_string()) fail(item, key, "every element must be a string in quotes");
      out.push_back(*item.value<std::string>());
    }
    return out;
  }

  const toml::table* subtable(const std::string& key) {
    const toml::node* n = node(key);
    if (!n) return nullptr;
    if (!n->is_table()) fail(*n, key, "expected a table like { daily = 7 }");
    return n->as_table();
  }

  // Reports keys that were present but never read.
  void reject_unknown(const std::string& hint) const {
    for (const auto& [k, v] : table_) {
      std::string key(k.str());
      if (seen_.count(key)) continue;
      throw ConfigError(where(file_, k.source()) + ": unknown key " + display_text(qualified(key), kQuotedValueMaxBytes) +
                        " — " + hint);
    }
  }

  static std::string type_name(const toml::node& n) {
    switch (n.type()) {
      case toml::node_type::string: return "a string";
      case toml::node_type::integer: return "a number";
      case toml::node_type::floating_point: return "a decimal number";
      case toml::node_type::boolean: return "a boolean";
      case toml::node_type::array: return "a list";
      case toml::node_type::table: return "a table";
      default: return "a date/time";
    }
  }

 private:
  const toml::table& table_;
  std::string section_;
  const std::string& file_;
  std::set<std::string> seen_;
};

void validate_schedule(const TableReader& r, const toml::node& node, const std::string& key, const std::string& text) {
  try {
    CronSchedule::parse(text);
  } catch (const ConfigError& e) {
    r.fail(node, key, e.what());
  }
}

// The fix for a secret file every user can read: the Debian package's owner and mode.
std::string private_mode_fix(const std::string& path) {
  return "chmod 640 " + path + " and chown root:postgres " + path +
         " (as the Debian package installs its config), or chmod 600 if only the user running BackupBuddy reads it";
}

// Why a file that holds secrets must not be used (a symbolic link into a place every user
// may write, so anyone could swap it, as libpq refuses such a ~/.pgpass); "" when it may.
// A file every user may read is only a warning, added to warnings under the name subject.
std::string inspect_secret_file(const std::string& subject, const std::string& path,
                                std::vector<std::string>& warnings) {
  std::optional<FileExposure> exposure = inspect_file_exposure(path);
  if (!exposure) return "";
  if (!exposure->writable_by_anyone.empty())
    return path + " is a symbolic link to " + exposure->link_target + ", and every user may write " +
           exposure->writable_by_anyone + " (mode " + format_mode(exposure->writable_mode) +
           "), so anyone could swap what it holds — replace the link by the file itself, kept in a folder only "
           "root may write (like /etc/backupbuddy), then " + private_mode_fix(path);
  if (exposure->world_readable)
    warnings.push_back(subject + " is readable by every user (mode " + format_mode(exposure->mode) + ") — " +
                       private_mode_fix(path));
  return "";
}

std::string read_secret_file(const std::string& path, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ConfigError(key + ": cannot read secret file " + quote_value(path) + " — check the path and its permissions");
  constexpr std::size_t kMaxSecret = 64 * 1024;  // a secret file is a line, not /dev/zero
  std::string value(kMaxSecret + 1, '\0');
  in.read(value.data(), static_cast<std::streamsize>(value.size()));
  value.resize(static_cast<std::size_t>(in.gcount()));
  if (value.size() > kMaxSecret)
    throw ConfigError(key + ": " + quote_value(path) + " is larger than 64 KiB — it should hold one secret");
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}

// A secret from `key`, `key_file` or the environment variable, in that order. An inline
// one is noted in cfg.inline_secrets; a secret file is inspected (inspect_secret_file).
Secret read_secret(TableReader& r, const std::string& key, const char* env_name, EnvLookup env, Config& cfg) {
  Secret s;
  auto inline_value = r.string(key);
  auto file_value = r.string(key + "_file");
  if (inline_value && file_value)
    throw ConfigError(r.qualified(key) + " and " + r.qualified(key + "_file") + " are both set — keep one");
  if (inline_value) {
    s.value = *inline_value;
    s.origin = r.qualified(key);
    if (!s.value.empty()) cfg.inline_secrets.push_back(r.qualified(key));
  } else if (file_value) {
    std::string subject = r.qualified(key + "_file") + " " + *file_value;
    std::string refusal = inspect_secret_file(subject, *file_value, cfg.warnings);
    if (!refusal.empty()) r.fail(*r.node(key + "_file"), key + "_file", refusal);
    s.value = read_secret_file(*file_value, r.qualified(key + "_file"));
    s.origin = r.qualified(key + "_file") + " (" + *file_value + ")";
  } else if (env_name) {
    if (auto v = env(env_name)) {
      s.value = *v;
      s.origin = env_name;
    }
  }
  log::register_secret(s.value);
  return s;
}

const char* kRetentionKinds = "daily, weekly, monthly, yearly";

RetentionCounts read_retention(const toml::table& table, const std::string& section, const std::string& file) {
  TableReader r(table, section, file);
  RetentionCounts c;
  c.daily = r.integer("daily", 0, 1000000);
  c.weekly = r.integer("weekly", 0, 1000000);
  c.monthly = r.integer("monthly", 0, 1000000);
  c.yearly = r.integer("yearly", 0, 1000000);
  r.reject_unknown(std::string("retention kinds are ") + kRetentionKinds);
  return c;
}

void overlay(RetentionCounts& base, const RetentionCounts& over) {
  if (over.daily) base.daily = over.daily;
  if (over.weekly) base.weekly = over.weekly;
  if (over.monthly) base.monthly = over.monthly;
  if (over.yearly) base.yearly = over.yearly;
}

bool all_zero(const RetentionCounts& c) {
  return c.daily.value_or(0) == 0 && c.weekly.value_or(0) == 0 && c.monthly.value_or(0) == 0 &&
         c.yearly.value_or(0) == 0;
}

void read_postgres(const toml::table& t, const std::string& file, Config& cfg, EnvLookup env) {
  TableReader r(t, "postgres", file);
  auto& pg = cfg.postgres;
  if (auto v = r.string("host")) pg.host = *v;
  if (auto v = r.integer("port", 1, 65535)) pg.port = static_cast<int>(*v);
  if (auto v = r.string("user")) pg.user = *v;
  if (auto v = r.string("bin_dir")) pg.bin_dir = *v;
  if (auto v = r.string("maintenance_db")) pg.maintenance_db = *v;
  pg.password = read_secret(r, "password", "PGPASSWORD", env, cfg);
  r.reject_unknown("known keys: host, port, user, password, password_file, bin_dir, maintenance_db");
}

// Known S3 providers: endpoint, region and addressing style (docs/providers.md says where
// each value comes from). Keys set explicitly in [storage] win.
struct ProviderPreset {
  const char* name;
  const char* endpoint;  // "" = must be given; "{region}" is replaced
  const char* region;    // "" = must be given
  bool path_style;
};
constexpr ProviderPreset kProviders[] = {
    {"timeweb", "https://s3.timeweb.cloud", "ru-1", true},
    {"yandex", "https://storage.yandexcloud.net", "ru-central1", false},
    {"selectel", "https://s3.ru-1.storage.selcloud.ru", "ru-1", true},
    {"vk", "https://hb.ru-msk.vkcloud-storage.ru", "ru-msk", false},
    {"aws", "https://s3.{region}.amazonaws.com", "", false},
    {"minio", "", "us-east-1", true},
};

void apply_provider(const TableReader& r, const toml::table& t, StorageConfig& st) {
  const ProviderPreset* preset = nullptr;
  for (const auto& p : kProviders)
    if (st.provider == p.name) preset = &p;
  if (!preset)
    r.fail(*t.get("provider"), "provider",
           "unknown provider " + quote_value(st.provider) + "; use timeweb, yandex, selectel, vk, aws or minio, or leave it out "
           "and set endpoint, region and path_style yourself");
  if (!t.get("region")) {
    if (!*preset->region)
      r.fail(*t.get("provider"), "provider", "provider " + quote_value(st.provider) + " needs region = \"...\" (e.g. \"eu-central-1\")");
    st.region = preset->region;
  }
  if (st.endpoint.empty()) {
    if (!*preset->endpoint)
      r.fail(*t.get("provider"), "provider", "provider " + quote_value(st.provider) + " needs endpoint = \"https://...\"");
    st.endpoint = preset->endpoint;
    auto pos = st.endpoint.find("{region}");
    if (pos != std::string::npos) st.endpoint.replace(pos, 8, st.region);
  }
  if (!st.path_style) st.path_style = preset->path_style;
}

// Why a storage prefix could lead outside its folder, or nullopt. S3 servers and HTTP
// clients resolve "." and ".." in an object's path but not in a listing's prefix, so such
// a prefix would store backups where list and restore never look, or outside the bucket.
std::optional<std::string> prefix_problem(const std::string& prefix) {
  if (prefix.empty()) return std::nullopt;
  if (prefix.front() == '/')
    return "\"" + prefix + "\" starts with '/' — a prefix is relative to the bucket (or storage.path): write "
           "\"pg/\", not \"/pg/\"";
  std::size_t start = 0;
  while (start < prefix.size()) {
    std::size_t slash = prefix.find('/', start);
    std::string segment = prefix.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (segment.empty())
      return "\"" + prefix + "\" has an empty folder (\"//\") — write each folder once, like \"pg/\" or \"pg/server1/\"";
    if (segment == "." || segment == "..")
      return "\"" + prefix + "\" has a \"" + segment + "\" folder, which would lead outside the prefix (S3 resolves "
             "it when storing but not when listing, so backups would land where list and restore never look) — "
             "name the folders plainly, like \"pg/\"";
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return std::nullopt;
}

// The keys of [storage] (and of each [[web.stores]] entry) into st; the caller rejects
// unknown keys first (it may know more, like a store's name), then calls check_storage.
void read_storage_keys(TableReader& r, const toml::table& t, StorageConfig& st, Config& cfg, EnvLookup env) {
  if (auto v = r.string("type")) {
    if (*v == "local") st.type = StorageType::kLocal;
    else if (*v == "s3") st.type = StorageType::kS3;
    else r.fail(*t.get("type"), "type", "unknown storage type " + quote_value(*v) + "; use \"s3\" or \"local\"");
  }
  if (auto v = r.string("path")) st.path = *v;
  if (auto v = r.string("provider")) st.provider = *v;
  if (auto v = r.string("endpoint")) st.endpoint = *v;
  if (auto v = r.string("region")) st.region = *v;
  if (auto v = r.string("bucket")) st.bucket = *v;
  if (auto v = r.string("prefix")) {
    if (auto problem = prefix_problem(*v)) r.fail(*t.get("prefix"), "prefix", *problem);
    st.prefix = *v;
    if (!st.prefix.empty() && st.prefix.back() != '/') st.prefix += '/';
  }
  if (auto v = r.boolean("path_style")) st.path_style = *v;
  if (auto v = r.size("part_size")) {
    if (*v < (5ull << 20) || *v > (5ull << 30))
      r.fail(*t.get("part_size"), "part_size", "must be between 5MiB and 5GiB (S3 limits)");
    st.part_size_bytes = *v;
  }
  if (auto v = r.integer("upload_concurrency", 1, 64)) st.upload_concurrency = static_cast<int>(*v);
  if (auto v = r.duration("timeout")) st.timeout = *v;
  if (auto v = r.integer("max_retries", 0, 100)) st.max_retries = static_cast<int>(*v);
  if (auto v = r.boolean("legacy")) st.legacy = *v;
  if (auto v = r.rate("max_upload_rate")) st.max_upload_rate = *v;
  if (auto v = r.rate("max_download_rate")) st.max_download_rate = *v;
  st.access_key_id = read_secret(r, "access_key_id", "AWS_ACCESS_KEY_ID", env, cfg);
  st.secret_access_key = read_secret(r, "secret_access_key", "AWS_SECRET_ACCESS_KEY", env, cfg);
  if (!st.provider.empty()) apply_provider(r, t, st);
}

constexpr const char* kStorageKeys =
    "type, provider, path, endpoint, region, bucket, prefix, access_key_id(_file), "
    "secret_access_key(_file), path_style, part_size, upload_concurrency, timeout, max_retries, legacy, "
    "max_upload_rate, max_download_rate";

// What an S3 store needs besides its keys' own checks.
void check_storage(const TableReader& r, const toml::table& t, const StorageConfig& st, const std::string& file) {
  if (st.type != StorageType::kS3) return;
  std::string loc = where(file, t.source());
  if (st.bucket.empty())
    throw ConfigError(loc + ": " + r.qualified("bucket") + " is missing — name the S3 bucket for type = \"s3\"");
  if (st.endpoint.empty())
    throw ConfigError(loc + ": " + r.qualified("endpoint") + " is missing — e.g. endpoint = \"https://s3.timeweb.cloud\"");
  if (st.endpoint.rfind("http://", 0) != 0 && st.endpoint.rfind("https://", 0) != 0)
    throw ConfigError(loc + ": " + r.qualified("endpoint") + " " + quote_value(st.endpoint) +
                      " must start with https:// or http://");
  if (st.access_key_id.empty() || st.secret_access_key.empty())
    throw ConfigError(loc + ": S3 credentials are missing — set " + r.qualified("access_key_id") +
                      " and secret_access_key (or *_file, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)");
}

void read_storage(const toml::table& t, const std::string& file, Config& cfg, EnvLookup env) {
  TableReader r(t, "storage", file);
  read_storage_keys(r, t, cfg.storage, cfg, env);
  r.reject_unknown(std::string("known keys: ") + kStorageKeys);
  check_storage(r, t, cfg.storage, file);
}

// The tables of an array of tables ([[name]] entries); ConfigError for anything else.
std::vector<const toml::table*> entry_tables(const toml::node& node, const std::string& file, const std::string& name) {
  const toml::array* arr = node.as_array();
  if (!arr) throw ConfigError(where(file, node.source()) + ": " + name + " must be [[" + name + "]] entries");
  std::vector<const toml::table*> tables;
  for (const auto& item : *arr) {
    const toml::table* t = item.as_table();
    if (!t) throw ConfigError(where(file, item.source()) + ": each [[" + name + "]] entry must be a table");
    tables.push_back(t);
  }
  return tables;
}

// [[web.stores]]: each a name and the keys of [storage].
void read_web_stores(const toml::node& node, const std::string& file, Config& cfg, EnvLookup env) {
  for (const toml::table* t : entry_tables(node, file, "web.stores")) {
    TableReader r(*t, "web.stores", file);
    WebStore store;
    store.location = where(file, t->source());
    auto name = r.string("name");
    if (!name || name->empty())
      throw ConfigError(store.location + ": [[web.stores]] entry without name — add name = \"office\" (its label on the dashboard)");
    for (const auto& other : cfg.web.stores)
      if (other.name == *name)
        throw ConfigError(store.location + ": web store " + quote_value(*name) + " is listed twice (first at " +
                          other.location + ") — give each [[web.stores]] entry its own name");
    store.name = *name;
    read_storage_keys(r, *t, store.storage, cfg, env);
    r.reject_unknown(std::string("known keys: name, ") + kStorageKeys);
    check_storage(r, *t, store.storage, file);
    cfg.web.stores.push_back(std::move(store));
  }
}

void read_backup(const toml::table& t, const std::string& file, Config& cfg) {
  TableReader r(t, "backup", file);
  auto& b = cfg.backup;
  if (auto v = r.boolean("all_databases")) b.all_databases = *v;
  if (auto v = r.string_array("exclude")) b.exclude = *v;
  if (auto v = r.integer("compression_level", 1, 19)) b.compression_level = static_cast<int>(*v);
  if (auto v = r.integer("compression_threads", 0, 256)) b.compression_threads = static_cast<int>(*v);
  if (auto v = r.integer("parallel", 1, 64)) b.parallel = static_cast<int>(*v);
  if (auto v = r.string("schedule")) {
    validate_schedule(r, *t.get("schedule"), "schedule", *v);
    b.schedule = *v;
  }
  if (auto v = r.string("timezone")) {
    try {
      resolve_zone(*v);
    } catch (const ConfigError& e) {
      r.fail(*t.get("timezone"), "timezone", e.what());
    }
    b.timezone = *v;
  }
  if (auto v = r.string("state_dir")) b.state_dir = *v;
  if (auto v = r.duration("catch_up")) b.catch_up = std::chrono::duration_cast<std::chrono::seconds>(*v);
  if (auto v = r.duration("lock_wait_timeout"))
    b.lock_wait_timeout = std::chrono::duration_cast<std::chrono::seconds>(*v);
  if (auto v = r.duration("stall_timeout")) {
    if (v->count() < 1000) r.fail(*t.get("stall_timeout"), "stall_timeout", "must be at least 1s");
    b.stall_timeout = std::chrono::duration_cast<std::chrono::seconds>(*v);
  }
  if (const toml::node* n = r.node("shrink_warning")) {
    auto v = n->value<double>();
    if (!v || !(*v >= 0 && *v <= 1))
      r.fail(*n, "shrink_warning", "expected a share between 0 and 1 like 0.5 (0 turns the warning off)");
    b.shrink_warning = *v;
  }
  if (auto v = r.string("server_name")) {
    if (v->empty() || v->size() > 100 || v->find_first_of("\r\n") != std::string::npos)
      r.fail(*t.get("server_name"), "server_name", "a server name is one line of 1 to 100 characters, like \"db1\"");
    b.server_name = *v;
  }
  if (auto v = r.string("verify_after_backup")) {
    if (*v == "none") b.verify_after_backup = VerifyAfterBackup::kNone;
    else if (*v == "checksum") b.verify_after_backup = VerifyAfterBackup::kChecksum;
    else if (*v == "restore") b.verify_after_backup = VerifyAfterBackup::kRestore;
    else r.fail(*t.get("verify_after_backup"), "verify_after_backup", "use \"none\", \"checksum\" or \"restore\"");
  }
  r.reject_unknown(
      "known keys: all_databases, exclude, compression_level, compression_threads, parallel, schedule, "
      "timezone, state_dir, catch_up, lock_wait_timeout, stall_timeout, shrink_warning, verify_after_backup, "
      "server_name");
}

void read_restore(const toml::table& t, const std::string& file, Config& cfg) {
  TableReader r(t, "restore", file);
  auto& rs = cfg.restore;
  if (auto v = r.string("target")) {
    if (v->find("{db}") == std::string::npos && v->empty())
      r.fail(*t.get("target"), "target", "must not be empty; default is \"{db}_archive\"");
    rs.target = *v;
  }
  if (auto v = r.integer("keep_archives", 1, 1000)) rs.keep_archives = static_cast<int>(*v);
  if (auto v = r.integer("jobs", 1, 64)) rs.jobs = static_cast<int>(*v);
  if (auto v = r.boolean("no_owner")) rs.no_owner = *v;
  if (auto v = r.string("owner")) rs.owner = *v;
  if (auto v = r.boolean("create_roles")) rs.create_roles = *v;
  r.reject_unknown("known keys: target, keep_archives, jobs, no_owner, owner, create_roles");
}

void read_telegram(const toml::table& t, const std::string& file, Config& cfg, EnvLookup env) {
  TableReader r(t, "telegram", file);
  auto& tg = cfg.telegram;
  if (const toml::node* n = r.node("admins")) {
    const toml::array* arr = n->as_array();
    if (!arr) r.fail(*n, "admins", "expected a list of Telegram user ids like [123456789]");
    for (const auto& item : *arr) {
      if (!item.is_integer()) r.fail(item, "admins", "every admin must be a numeric Telegram user id");
      tg.admins.push_back(*item.value<std::int64_t>());
    }
  }
  if (auto v = r.string("api_url")) tg.api_url = *v;
  if (auto v = r.string("language")) {
    if (*v != "ru" && *v != "en") r.fail(*t.get("language"), "language", "use \"ru\" or \"en\"");
    tg.language = *v;
  }
  if (auto v = r.boolean("notify")) tg.notify = *v;
  tg.token = read_secret(r, "token", "BACKUPBUDDY_TELEGRAM_TOKEN", env, cfg);
  r.reject_unknown("known keys: token, token_file, admins, api_url, language, notify");
}

void read_encryption(const toml::table& t, const std::string& file, Config& cfg) {
  TableReader r(t, "encryption", file);
  auto& e = cfg.encryption;
  if (auto v = r.string_array("recipients")) {
    e.recipients = *v;
    for (const auto& rcpt : e.recipients)
      if (!age_is_valid_recipient(rcpt))
        r.fail(*t.get("recipients"), "recipients",
               quote_value(rcpt) + " is not an age X25519 recipient (age1…) — copy the public key that "
               "`backupbuddy keygen` or `age-keygen` printed");
  }
  if (auto v = r.string("identity_file")) e.identity_file = *v;
  if (auto v = r.string("passphrase_file")) e.passphrase_file = *v;
  for (const auto& [key, path] : {std::pair{"identity_file", e.identity_file},
                                  std::pair{"passphrase_file", e.passphrase_file}}) {
    if (!path) continue;
    std::string refusal = inspect_secret_file(r.qualified(key) + " " + *path, *path, cfg.warnings);
    if (!refusal.empty()) r.fail(*t.get(key), key, refusal);
  }
  r.reject_unknown("known keys: recipients, identity_file, passphrase_file");
  if (!e.recipients.empty() && e.passphrase_file)
    throw ConfigError(where(file, t.source()) +
                      ": encryption: set either recipients (public keys) or passphrase_file, not both — the age "
                      "format does not mix a passphrase with other recipients");
}

void read_verify(const toml::table& t, const std::string& file, Config& cfg) {
  TableReader r(t, "verify", file);
  if (auto v = r.string("schedule")) {
    validate_schedule(r, *t.get("schedule"), "schedule", *v);
    cfg.verify.schedule = *v;
  }
  if (auto v = r.duration("max_age")) cfg.verify.max_age = std::chrono::duration_cast<std::chrono::seconds>(*v);
  r.reject_unknown("known keys: schedule, max_age");
}

bool has_line_break(const std::string& text) { return text.find_first_of("\r\n") != std::string::npos; }

// An e-mail address as written in From/To: something@something, no spaces, breaks or <>.
bool plausible_address(const std::string& address) {
  auto at = address.find('@');
  return at != std::string::npos && at > 0 && at + 1 < address.size() &&
         address.find_first_of(" \t\r\n<>,;\"") == std::string::npos;
}

void read_notify(const toml::node& node, const std::string& file, Config& cfg, EnvLookup env) {
  for (const toml::table* t : entry_tables(node, file, "notify")) {
    TableReader r(*t, "notify", file);
    NotifyChannelConfig ch;
    ch.location = where(file, t->source());
    auto type = r.string("type");
    if (!type)
      throw ConfigError(ch.location + ": [[notify]] entry without type — add type = \"email\", \"webhook\" or \"heartbeat\"");
    if (*type == "email") ch.type = NotifyType::kEmail;
    else if (*type == "webhook") ch.type = NotifyType::kWebhook;
    else if (*type == "heartbeat") ch.type = NotifyType::kHeartbeat;
    else r.fail(*t->get("type"), "type", "unknown channel type " + quote_value(*type) + "; use \"email\", \"webhook\" or \"heartbeat\"");
    if (auto on = r.string_array("on")) {
      if (ch.type == NotifyType::kHeartbeat)
        r.fail(*t->get("on"), "on", "a heartbeat pings after every run (<url> on success, <url>/fail on failure) — remove on");
      ch.on = NotifyOn{false, false, false};
      for (const auto& o : *on) {
        if (o == "failure") ch.on.failure = true;
        else if (o == "warning") ch.on.warning = true;
        else if (o == "success") ch.on.success = true;
        else r.fail(*t->get("on"), "on", "unknown outcome " + quote_value(o) + "; use \"failure\", \"warning\" and/or \"success\"");
      }
      if (on->empty()) r.fail(*t->get("on"), "on", "is empty, so this channel would never send — list \"failure\", \"warning\" and/or \"success\"");
    }
    if (auto v = r.duration("timeout")) {
      if (v->count() < 100 || v->count() > 300'000) r.fail(*t->get("timeout"), "timeout", "use 100ms..5m, e.g. \"10s\"");
      ch.timeout = *v;
    }
    if (auto v = r.integer("tries", 1, 10)) ch.tries = static_cast<int>(*v);
    std::string keys = "type, on, timeout, tries, ";
    auto need_http_url = [&](const char* what) {
      ch.url = read_secret(r, "url", nullptr, env, cfg);
      if (ch.url.empty())
        throw ConfigError(ch.location + ": " + std::string(what) + " without url — add url = \"https://…\" (or url_file)");
      if (ch.url.value.rfind("http://", 0) != 0 && ch.url.value.rfind("https://", 0) != 0)
        throw ConfigError(ch.location + ": notify.url " + url_for_messages(ch.url.value) + " must start with https:// or http://");
    };
    if (ch.type == NotifyType::kEmail) {
      keys += "smtp_url, starttls, ca_file, from, to, username, password_file (or password, or BACKUPBUDDY_SMTP_PASSWORD)";
      if (auto v = r.string("smtp_url")) ch.smtp_url = *v;
      if (auto v = r.boolean("starttls")) ch.starttls = *v;
      if (auto v = r.string("ca_file")) {
        if (v->empty() || ::access(v->c_str(), R_OK) != 0)
          r.fail(*t->get("ca_file"), "ca_file", "cannot read " + quote_value(*v) +
                                                     " — give the PEM file of the CA that signed the mail server's certificate");
        ch.ca_file = *v;
      }
      if (auto v = r.string("from")) ch.from = *v;
      if (auto v = r.string_array("to")) ch.to = *v;
      if (auto v = r.string("username")) ch.username = *v;
      ch.password = read_secret(r, "password", "BACKUPBUDDY_SMTP_PASSWORD", env, cfg);
      if (ch.smtp_url.empty())
        throw ConfigError(ch.location + ": e-mail channel without smtp_url — add smtp_url = \"smtp://mail.example.com:587\"");
      if (ch.smtp_url.rfind("smtp://", 0) != 0 && ch.smtp_url.rfind("smtps://", 0) != 0)
        r.fail(*t->get("smtp_url"), "smtp_url", quote_value(ch.smtp_url) + " must start with smtp:// (STARTTLS) or smtps:// (TLS)");
      if (ch.smtp_url.find('@') != std::string::npos)
        r.fail(*t->get("smtp_url"), "smtp_url", "holds a user name or password — put them in username and password_file");
      if (!plausible_address(ch.from))
        throw ConfigError(ch.location + ": notify.from " + (ch.from.empty() ? std::string("is missing") : quote_value(ch.from) + " is not an e-mail address") +
                          " — e.g. from = \"backupbuddy@example.com\"");
      if (ch.to.empty())
        throw ConfigError(ch.location + ": notify.to is missing — e.g. to = [\"admin@example.com\"]");
      for (const auto& a : ch.to)
        if (!plausible_address(a))
          r.fail(*t->get("to"), "to", quote_value(a) + " is not an e-mail address (one address per element, like \"admin@example.com\")");
      if (has_line_break(ch.username)) r.fail(*t->get("username"), "username", "must be one line");
      if (!ch.username.empty() && ch.password.empty())
        throw ConfigError(ch.location + ": notify.username is set but no password — add password_file = \"/etc/backupbuddy/smtp.password\" "
                          "or set BACKUPBUDDY_SMTP_PASSWORD");
    } else if (ch.type == NotifyType::kWebhook) {
      keys += "url (or url_file), format, secret_file";
      need_http_url("webhook");
      if (auto v = r.string("format")) {
        if (*v != "json" && *v != "slack" && *v != "discord" && *v != "teams" && *v != "mattermost")
          r.fail(*t->get("format"), "format", "unknown format " + quote_value(*v) +
                                                  "; use \"json\", \"slack\", \"discord\", \"teams\" or \"mattermost\"");
        ch.format = *v;
      }
      ch.secret = read_secret(r, "secret", nullptr, env, cfg);
    } else {
      keys += "url (or url_file)";
      need_http_url("heartbeat");
    }
    r.reject_unknown("known keys for type = " + quote_value(*type) + ": " + keys);
    cfg.notify.push_back(std::move(ch));
  }
}

void read_metrics(const toml::table& t, const std::string& file, Config& cfg) {
  TableReader r(t, "metrics", file);
  if (auto v = r.string("textfile")) {
    if (v->empty() || v->back() == '/')
      r.fail(*t.get("textfile"), "textfile", "must name a file, e.g. \"/var/lib/prometheus/node-exporter/backupbuddy.prom\"");
    cfg.metrics.textfile = *v;
  }
  r.reject_unknown("known keys: textfile");
}

void read_web(const toml::table& t, const std::string& file, Config& cfg, EnvLookup env) {
  TableReader r(t, "web", file);
  auto& web = cfg.web;
  if (auto v = r.string("listen")) {
    auto colon = v->rfind(':');
    std::string host = colon == std::string::npos ? "" : v->substr(0, colon);
    std::string port = colon == std::string::npos ? "" : v->substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    bool digits = !port.empty() && port.size() <= 5 &&
                  port.find_first_not_of("0123456789") == std::string::npos;
    int number = digits ? std::stoi(port) : 0;
    if (host.empty() || number < 1 || number > 65535)
      r.fail(*t.get("listen"), "listen",
             "expected host:port like \"127.0.0.1:8650\" (or \"0.0.0.0:8650\" for every address), got " +
                 quote_value(*v));
    web.listen = *v;
    web.host = host;
    web.port = number;
  }
  if (auto v = r.string("tls_cert_file")) web.tls_cert_file = *v;
  if (auto v = r.string("tls_key_file")) web.tls_key_file = *v;
  if (web.tls_cert_file.empty() != web.tls_key_file.empty())
    throw ConfigError(where(file, t.source()) +
                      ": web: tls_cert_file and tls_key_file go together — set both for HTTPS, or neither "
                      "for plain HTTP behind a reverse proxy");
  if (auto v = r.string("language")) {
    if (*v != "ru" && *v != "en") r.fail(*t.get("language"), "language", "use \"ru\" or \"en\"");
    web.language = *v;
  }
  if (auto v = r.duration("session_idle")) {
    if (*v < std::chrono::seconds(1))
      r.fail(*t.get("session_idle"), "session_idle", "must be at least \"1s\"");
    web.session_idle = std::chrono::duration_cast<std::chrono::seconds>(*v);
  }
  if (auto v = r.string_array("trusted_proxies")) {
    for (const auto& address : *v) {
      unsigned char buf[16];
      if (inet_pton(AF_INET, address.c_str(), buf) != 1 && inet_pton(AF_INET6, address.c_str(), buf) != 1)
        r.fail(*t.get("trusted_proxies"), "trusted_proxies",
               quote_value(address) + " is not an IP address — list the reverse proxy's address, e.g. \"127.0.0.1\"");
    }
    web.trusted_proxies = *v;
  }
  if (const toml::node* n = r.node("users")) {
    const toml::array* arr = n->as_array();
    if (!arr) r.fail(*n, "users", "expected [[web.users]] entries");
    for (const auto& item : *arr) {
      const toml::table* u = item.as_table();
      if (!u) throw ConfigError(where(file, item.source()) + ": each [[web.users]] entry must be a table");
      TableReader ur(*u, "web.users", file);
      WebUser user;
      auto name = ur.string("name");
      if (!name || name->empty())
        throw ConfigError(where(file, u->source()) + ": [[web.users]] entry without name — add name = \"alice\"");
      if (name->find_first_of(":\r\n\t ") != std::string::npos || name->size() > 64)
        ur.fail(*u->get("name"), "name", "a user name has at most 64 characters and no spaces or ':'");
      if (web.find_user(*name))
        throw ConfigError(where(file, u->source()) + ": web user " + quote_value(*name) + " is listed twice");
      user.name = *name;
      auto hash = ur.string("password_hash");
      if (!hash)
        throw ConfigError(where(file, u->source()) + ": web user " + quote_value(user.name) +
                          " has no password_hash — run `backupbuddy hash-password` and paste what it prints");
      if (std::string problem = password_hash_problem(*hash); !problem.empty())
        ur.fail(*u->get("password_hash"), "password_hash",
                "the value " + problem + " — run `backupbuddy hash-password` and paste what it prints");
      user.password_hash = *hash;
      if (auto role = ur.string("role")) {
        if (*role == "viewer") user.role = WebRole::kViewer;
        else if (*role == "operator") user.role = WebRole::kOperator;
        else ur.fail(*u->get("role"), "role", "unknown role " + quote_value(*role) + "; use \"viewer\" or \"operator\"");
      }
      ur.reject_unknown("known keys: name, password_hash, role");
      web.users.push_back(std::move(user));
    }
  }
  if (const toml::node* n = r.node("stores")) read_web_stores(*n, file, cfg, env);
  r.reject_unknown("known keys: listen, tls_cert_file, tls_key_file, language, session_idle, trusted_proxies, users, stores");
  if (web.enabled() && web.users.empty())
    throw ConfigError(where(file, t.source()) +
                      ": web: listen is set but there are no [[web.users]] — add one with name, password_hash "
                      "(from `backupbuddy hash-password`) and role");
}

void read_databases(const toml::node& node, const std::string& file, Config& cfg) {
  const toml::array* arr = node.as_array();
  if (!arr) throw ConfigError(where(file, node.source()) + ": databases must be [[databases]] entries");
  std::set<std::string> names;
  for (const auto& item : *arr) {
    const toml::table* t = item.as_table();
    if (!t) throw ConfigError(where(file, item.source()) + ": each [[databases]] entry must be a table");
    TableReader r(*t, "databases", file);
    DatabaseConfig db;
    auto name = r.string("name");
    if (!name || name->empty())
      throw ConfigError(where(file, t->source()) + ": [[databases]] entry without name — add name = \"mydb\"");
    db.name = *name;
    if (db.name.find('\0') != std::string::npos)
      r.fail(*t->get("name"), "name", "a PostgreSQL database name cannot hold a NUL character (\\u0000) — remove it");
    if (!names.insert(db.name).second)
      throw ConfigError(where(file, t->source()) + ": database " + quote_value(db.name) + " is listed twice");
    if (const toml::table* ret = r.subtable("retention"))
      db.retention = read_retention(*ret, "databases.retention", file);
    if (auto v = r.string("schedule")) {
      validate_schedule(r, *t->get("schedule"), "schedule", *v);
      db.schedule = *v;
    }
    r.reject_unknown("known keys: name, retention, schedule");
    cfg.databases.push_back(std::move(db));
  }
}

Config from_table(const toml::table& root, const std::string& file, EnvLookup env) {
  Config cfg = default_config(env);
  cfg.source = file;
  TableReader r(root, "", file);
  auto section = [&](const char* name) -> const toml::table* {
    const toml::node* n = r.node(name);
    if (!n) return nullptr;
    if (!n->is_table()) r.fail(*n, name, std::string("expected a [") + name + "] section");
    return n->as_table();
  };
  // Start from empty secrets: the section readers take env fallbacks themselves.
  if (auto* t = section("postgres")) read_postgres(*t, file, cfg, env);
  if (auto* t = section("storage")) read_storage(*t, file, cfg, env);
  if (auto* t = section("backup")) read_backup(*t, file, cfg);
  if (auto* t = section("retention")) {
    RetentionCounts c = read_retention(*t, "retention", file);
    overlay(cfg.retention, c);
    if (all_zero(cfg.retention))
      throw ConfigError(where(file, t->source()) +
                        ": retention: all counts are 0, which would delete every backup — keep at least one kind");
  }
  if (const toml::node* n = r.node("databases")) read_databases(*n, file, cfg);
  if (auto* t = section("restore")) read_restore(*t, file, cfg);
  if (auto* t = section("telegram")) read_telegram(*t, file, cfg, env);
  if (auto* t = section("encryption")) read_encryption(*t, file, cfg);
  if (auto* t = section("verify")) read_verify(*t, file, cfg);
  if (const toml::node* n = r.node("notify")) read_notify(*n, file, cfg, env);
  if (auto* t = section("metrics")) read_metrics(*t, file, cfg);
  if (auto* t = section("web")) read_web(*t, file, cfg, env);
  r.reject_unknown(
      "known sections: postgres, storage, backup, retention, databases, restore, telegram, encryption, verify, "
      "notify, metrics, web");
  for (const auto& db : cfg.databases) {
    if (all_zero(cfg.retention_for(db.name)))
      throw ConfigError(file + ": database " + quote_value(db.name) +
                        ": retention counts are all 0, which would delete every backup — keep at least one kind");
  }
  return cfg;
}

}  // namespace

std::optional<std::string> real_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

const WebUser* WebConfig::find_user(const std::string& name) const {
  for (const auto& user : users)
    if (user.name == name) return &user;
  return nullptr;
}

const DatabaseConfig* Config::find_database(const std::string& name) const {
  for (const auto& db : databases)
    if (db.name == name) return &db;
  return nullptr;
}

RetentionCounts Config::retention_for(const std::string& name) const {
  RetentionCounts c = retention;
  if (const DatabaseConfig* db = find_database(name)) overlay(c, db->retention);
  return c;
}

Config default_config(EnvLookup env) {
  Config cfg;
  auto secret = [&](const char* name) {
    Secret s;
    if (auto v = env(name)) {
      s.value = *v;
      s.origin = name;
      log::register_secret(s.value);
    }
    return s;
  };
  cfg.postgres.password = secret("PGPASSWORD");
  cfg.storage.access_key_id = secret("AWS_ACCESS_KEY_ID");
  cfg.storage.secret_access_key = secret("AWS_SECRET_ACCESS_KEY");
  cfg.telegram.token = secret("BACKUPBUDDY_TELEGRAM_TOKEN");
  return cfg;
}

Config parse_config(const std::string& text, const std::string& name, EnvLookup env) {
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    std::ostringstream out;
    out << name << ":" << e.source().begin.line << ": " << e.description()
        << " — fix the TOML syntax (strings need quotes, sections look like [storage])";
    throw ConfigError(out.str());
  }
  return from_table(root, name, env);
}

Config load_config(const std::string& path, EnvLookup env) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
    throw ConfigError("config file " + path + " is not a regular file (a directory?) — give the path of the .toml file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("cannot read config file " + path + " — check the path given with -c or $BACKUPBUDDY_CONFIG");
  std::stringstream buf;
  buf << in.rdbuf();
  Config cfg = parse_config(buf.str(), path, env);
  // The file itself: as private as a secret file when secrets are written in it; and never
  // reached through a link that anyone could point elsewhere (it names the programs run).
  std::vector<std::string> file_warnings;
  std::string subject = "config file " + path;
  if (!cfg.inline_secrets.empty()) {
    subject += " holds secrets (";
    for (std::size_t i = 0; i < cfg.inline_secrets.size(); ++i) subject += (i ? ", " : "") + cfg.inline_secrets[i];
    subject += ") and";
  }
  std::string refusal = inspect_secret_file(subject, path, file_warnings);
  if (!refusal.empty()) throw ConfigError("config file " + refusal);
  if (!cfg.inline_secrets.empty())
    for (auto& w : file_warnings)
      cfg.warnings.insert(cfg.warnings.begin(), w + "; or move the secrets into *_file keys or the environment");
  return cfg;
}

void log_config_warnings(const Config& config) {
  for (const auto& w : config.warnings) log::warn(w);
}

std::string find_config_path(const std::string& explicit_path, EnvLookup env) {
  if (!explicit_path.empty()) return explicit_path;
  if (auto v = env("BACKUPBUDDY_CONFIG")) return *v;
  for (const char* candidate : {"./backupbuddy.toml", "/etc/backupbuddy/backupbuddy.toml"})
    if (access(candidate, F_OK) == 0) return candidate;
  return "";
}

std::uint64_t parse_size(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0) throw std::invalid_argument(quote_value(text) + " is not a size; write e.g. \"16MiB\", \"1GiB\" or 1048576");
  if (i > 15) throw std::invalid_argument(quote_value(text) + " is too large a size");
  std::uint64_t number = std::stoull(text.substr(0, i));
  std::string unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  std::uint64_t mult;
  if (unit.empty() || unit == "B") mult = 1;
  else if (unit == "KiB" || unit == "K" || unit == "KB") mult = 1ull << 10;
  else if (unit == "MiB" || unit == "M" || unit == "MB") mult = 1ull << 20;
  else if (unit == "GiB" || unit == "G" || unit == "GB") mult = 1ull << 30;
  else if (unit == "TiB" || unit == "T" || unit == "TB") mult = 1ull << 40;
  else throw std::invalid_argument("unknown size unit " + quote_value(unit) + "; use KiB, MiB, GiB or TiB");
  if (number == 0) throw std::invalid_argument("a size must be positive");
  if (number > (std::uint64_t{1} << 50) / mult) throw std::invalid_argument(quote_value(text) + " is too large a size");
  return number * mult;
}

std::chrono::milliseconds parse_duration(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i == text.size())
    throw std::invalid_argument(quote_value(text) + " is not a duration; write e.g. \"500ms\", \"30s\", \"5m\", \"6h\", \"1d\"");
  if (i > 12) throw std::invalid_argument(quote_value(text) + " is too long a duration");
  std::int64_t number = std::stoll(text.substr(0, i));
  std::string unit = text.substr(i);
  std::int64_t ms;
  if (unit == "ms") ms = 1;
  else if (unit == "s") ms = 1000;
  else if (unit == "m" || unit == "min") ms = 60'000;
  else if (unit == "h") ms = 3'600'000;
  else if (unit == "d") ms = 86'400'000;
  else throw std::invalid_argument("unknown duration unit " + quote_value(unit) + "; use ms, s, m, h or d");
  if (number > 3650LL * 86'400'000 / ms) throw std::invalid_argument(quote_value(text) + " is longer than ten years");
  return std::chrono::milliseconds(number * ms);
}

// A URL for messages: scheme and host only, the rest (which may hold a token) cut.
std::string url_for_messages(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return "(not a URL)";
  auto end = url.find_first_of("/?#", scheme + 3);
  std::string host = url.substr(0, end);
  auto at = host.find('@', scheme + 3);  // user:password@host
  if (at != std::string::npos) host = host.substr(0, scheme + 3) + host.substr(at + 1);
  return end == std::string::npos ? host : host + "/…";
}

}  // namespace bb
