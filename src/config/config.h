// Config: the TOML configuration as typed structs, with every default of DESIGN.md.
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
  std::string verify_after_backup = "none";
  std::chrono::seconds lock_wait_timeout{15 * 60};
  std::chrono::seconds stall_timeout{30 * 60};  // pg_dump silent this long: stopped, reported
  double shrink_warning = 0.5;  // warn when a dump is smaller than this share of the previous one
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

// "16MiB", "1GiB", "512KiB", "1000" -> bytes. Throws std::invalid_argument.
std::uint64_t parse_size(const std::string& text);
// "500ms", "30s", "5m", "6h", "1d" -> milliseconds. Throws std::invalid_argument.
std::chrono::milliseconds parse_duration(const std::string& text);

}  // namespace bb
