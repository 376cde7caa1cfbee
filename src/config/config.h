// Config: the TOML configuration as typed structs, with every default the README and
// backupbuddy.example.toml document.
// load_config() validates (unknown keys, wrong types, bad values -> ConfigError with
// file:line) and resolves secrets from the file, *_file keys or the environment.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bb {

// A secret value; never printed. Holds where it came from for messages.
struct Secret {
  std::string value;
  std::string origin;  // e.g. "storage.secret_access_key_file (/etc/..)" or "AWS_SECRET_ACCESS_KEY"
  bool empty() const { return value.empty(); }
};

struct PostgresConfig {
  std::optional<std::string> host;  // unset: libpq default (PGHOST, socket)
  std::optional<int> port;
  std::optional<std::string> user;
  Secret password;                  // password, password_file or PGPASSWORD
  std::optional<std::string> bin_dir;  // unset: /usr/lib/postgresql/<server major>/bin
  std::string maintenance_db = "postgres";  // where BackupBuddy connects to create/drop databases
};

enum class StorageType { kLocal, kS3 };

struct StorageConfig {
  StorageType type = StorageType::kLocal;
  std::string path = "./backups";  // local only
  std::string provider;            // preset: timeweb, yandex, selectel, vk, aws, minio (docs/providers.md)
  std::string endpoint;            // s3: https://host[:port]
  std::string region = "us-east-1";
  std::string bucket;
  std::string prefix;              // "" or ending with "/"
  Secret access_key_id;
  Secret secret_access_key;
  std::optional<bool> path_style;  // unset: path-style when the bucket is not DNS-safe or endpoint is an IP
  std::uint64_t part_size_bytes = 16ull << 20;
  int upload_concurrency = 4;
  std::chrono::milliseconds timeout{60'000};  // connect timeout and low-speed cut-off
  int max_retries = 5;
  bool legacy = true;
  // Caps on the total transfer rate over all parts in flight, bytes/s; 0: none.
  std::uint64_t max_upload_rate = 0;
  std::uint64_t max_download_rate = 0;
};

// Retention counts; unset means "inherit" (in [[databases]] overrides).
struct RetentionCounts {
  std::optional<int> daily, weekly, monthly, yearly;
};

// What each backup run does to prove its new backup ([backup] verify_after_backup).
enum class VerifyAfterBackup {
  kNone,      // "none": nothing beyond the read-back while it is written
  kChecksum,  // "checksum": re-read the stored object, check size, SHA-256 and structure
  kRestore,   // "restore": also restore it into a scratch database and compare row counts
};

struct BackupConfig {
  bool all_databases = false;
  std::vector<std::string> exclude;
  int compression_level = 3;
  int compression_threads = 0;  // 0: number of CPUs
  int parallel = 1;
  std::string schedule = "0 4 * * *";
  std::string timezone;  // empty: the machine's zone
  std::string state_dir; // empty: /var/lib/backupbuddy as root, else ~/.local/state/backupbuddy
  std::chrono::seconds catch_up{6 * 3600};
  VerifyAfterBackup verify_after_backup = VerifyAfterBackup::kNone;
  std::chrono::seconds lock_wait_timeout{15 * 60};
  std::chrono::seconds stall_timeout{30 * 60};  // pg_dump silent this long: stopped, reported
  double shrink_warning = 0.5;  // warn when a dump is smaller than this share of the previous one
  std::string server_name;  // this server in the store's run records; empty: the host name
};

struct DatabaseConfig {
  std::string name;
  RetentionCounts retention;  // only the kinds it names override [retention]
  std::optional<std::string> schedule;
};

struct RestoreConfig {
  std::string target = "{db}_archive";
  int keep_archives = 1;
  int jobs = 1;
  bool no_owner = false;
  std::optional<std::string> owner;
  bool create_roles = false;  // create missing owner roles (NOLOGIN) before pg_restore
};

struct TelegramConfig {
  Secret token;
  std::vector<std::int64_t> admins;
  std::string api_url = "https://api.telegram.org";
  std::string language = "ru";
  bool notify = true;
  bool enabled() const { return !token.empty(); }
};

// Restore drills run by `serve`: `verify --restore-test` of each database's newest backup.
struct VerifyConfig {
  std::optional<std::string> schedule;             // e.g. "0 6 * * SUN"; unset: no drills
  std::chrono::seconds max_age{8 * 24 * 3600};     // flag a database not proven restorable for longer
};

struct EncryptionConfig {
  std::vector<std::string> recipients;
  std::optional<std::string> identity_file;
  std::optional<std::string> passphrase_file;
};

// Which run outcomes a [[notify]] channel hears about.
struct NotifyOn {
  bool failure = true;
  bool warning = true;
  bool success = false;
};

enum class NotifyType { kEmail, kWebhook, kHeartbeat };

// One [[notify]] entry: an e-mail, webhook or heartbeat channel (docs/notifications.md).
struct NotifyChannelConfig {
  NotifyType type = NotifyType::kWebhook;
  std::string location;  // "file:line" of the entry, for messages
  NotifyOn on;        // heartbeats hear every run
  std::chrono::milliseconds timeout{10'000};  // per try
  int tries = 3;
  // email
  std::string smtp_url;  // smtp://host:port (STARTTLS unless starttls = false) or smtps://
  bool starttls = true;
  std::string from;
  std::vector<std::string> to;
  std::string username;
  Secret password;  // password, password_file or BACKUPBUDDY_SMTP_PASSWORD
  std::string ca_file;  // PEM CA(s) for the server's certificate (a private CA); empty: the system's
  // webhook and heartbeat: the URL may embed a token, so it is a secret (never printed)
  Secret url;
  std::string format = "json";  // webhook: json, slack, discord, teams, mattermost
  Secret secret;                // webhook: HMAC-SHA256 signing key (secret_file)
};

// [metrics]: the node_exporter textfile written after every run and verification.
struct MetricsConfig {
  std::string textfile;  // empty: none
};

// Who may use the web console ([[web.users]]) and what they may do.
enum class WebRole {
  kViewer,    // "viewer": sees databases, backups, archives, jobs
  kOperator,  // "operator": also restores, backs up now, drops archives
};

// One [[web.users]] entry; the password only as its scrypt hash (hash-password).
struct WebUser {
  std::string name;
  std::string password_hash;  // "$scrypt$ln=15,r=8,p=1$<salt>$<hash>"
  WebRole role = WebRole::kViewer;
};

// [[web.stores]]: another store (or prefix) the console shows read-only beside its own.
struct WebStore {
  std::string name;        // the label of its section
  StorageConfig storage;   // the same keys as [storage]
  std::string location;    // file:line of the entry, for messages
};

// [web]: the web console (`backupbuddy web`); off unless listen is set.
struct WebConfig {
  std::string listen;         // "127.0.0.1:8650"; empty: off
  std::string host;           // parsed from listen
  int port = 0;               // parsed from listen
  std::string tls_cert_file;  // both set: HTTPS; neither: plain HTTP (behind a reverse proxy)
  std::string tls_key_file;
  std::string language = "en";  // "en" or "ru"
  std::chrono::seconds session_idle{30 * 60};  // a session unused this long is gone
  // Reverse proxies (IP addresses) whose X-Forwarded-For / X-Forwarded-Proto are believed:
  // the client is the rightmost address they did not add. Empty: the headers are ignored.
  std::vector<std::string> trusted_proxies;
  std::vector<WebUser> users;
  std::vector<WebStore> stores;  // read-only extra stores, in config order
  bool enabled() const { return !listen.empty(); }
  bool tls() const { return !tls_cert_file.empty(); }
  // The user of that name, or nullptr.
  const WebUser* find_user(const std::string& name) const;
};

struct Config {
  std::string source;  // the file it was read from; "" for built-in defaults
  PostgresConfig postgres;
  StorageConfig storage;
  BackupConfig backup;
  RetentionCounts retention{4, 4, 4, 999};
  std::vector<DatabaseConfig> databases;
  RestoreConfig restore;
  TelegramConfig telegram;
  EncryptionConfig encryption;
  VerifyConfig verify;
  std::vector<NotifyChannelConfig> notify;
  MetricsConfig metrics;
  WebConfig web;
  // Secret keys written in the config file itself ("storage.secret_access_key"): the
  // file must then be as private as a secret file.
  std::vector<std::string> inline_secrets;
  // Problems found while loading that do not stop BackupBuddy (a secret every user can
  // read): `check` lists them; backup, serve and status log them (log_config_warnings).
  std::vector<std::string> warnings;

  // The configured database entry of that name, or nullptr.
  const DatabaseConfig* find_database(const std::string& name) const;
  // Effective retention for a database: [retention] overlaid with its own override.
  RetentionCounts retention_for(const std::string& name) const;
};

// Environment lookup, injectable for tests.
using EnvLookup = std::optional<std::string> (*)(const char* name);
std::optional<std::string> real_env(const char* name);

// Parses and validates a config file. Throws ConfigError ("file:line: key: problem — fix").
Config load_config(const std::string& path, EnvLookup env = real_env);
// Parses TOML text (name is used in messages).
Config parse_config(const std::string& text, const std::string& name, EnvLookup env = real_env);
// Built-in defaults (no config file): libpq defaults and a local store in ./backups,
// with secrets still taken from the environment.
Config default_config(EnvLookup env = real_env);
// Logs each of config.warnings as a warning (stderr), for commands that run unattended.
void log_config_warnings(const Config& config);
// Which config file to use: explicit path, $BACKUPBUDDY_CONFIG, ./backupbuddy.toml,
// /etc/backupbuddy/backupbuddy.toml; empty when none exists (built-in defaults).
std::string find_config_path(const std::string& explicit_path, EnvLookup env = real_env);

// A URL as it may be shown: scheme and host only ("https://hooks.slack.com/…"), since the
// rest (or a user:password@) may hold a token.
std::string url_for_messages(const std::string& url);

// "16MiB", "1GiB", "512KiB", "1000" -> bytes. Throws std::invalid_argument.
std::uint64_t parse_size(const std::string& text);
// "500ms", "30s", "5m", "6h", "1d" -> milliseconds. Throws std::invalid_argument.
std::chrono::milliseconds parse_duration(const std::string& text);

}  // namespace bb
