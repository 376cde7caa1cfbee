// backupbuddy: command-line wiring only. Parse arguments, load the config, run one
// command, map errors to exit codes (0 ok, 1 failed, 2 usage/config, 3 lock held).
#include <CLI/CLI.hpp>

#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/archives.h"
#include "cli/backup.h"
#include "bot/standalone.h"
#include "cli/check.h"
#include "cli/hash_password.h"
#include "cli/keygen.h"
#include "cli/list.h"
#include "cli/prune.h"
#include "cli/remedy.h"
#include "cli/export.h"
#include "cli/restore.h"
#include "serve/serve.h"
#include "cli/status.h"
#include "cli/verify.h"
#include "config/config.h"
#include "util/error.h"
#include "util/log.h"
#include "util/signals.h"
#include "web/standalone.h"
#include "version.h"

namespace {

bb::Config load(const std::string& explicit_path) {
  std::string path = bb::find_config_path(explicit_path);
  if (path.empty()) return bb::default_config();
  return bb::load_config(path);
}

// True when the arguments ask for --json (before a "--" that ends the options).
bool wants_json(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") return false;
    if (arg == "--json") return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"BackupBuddy: per-database PostgreSQL backups to S3 or a folder, restored into new archive databases"};
  app.set_version_flag("--version", std::string("backupbuddy ") + BACKUPBUDDY_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 ok, 1 an operation failed, 2 usage or config error, 3 another run holds the lock. "
      "With --json, a failed command prints {\"error\": {\"code\", \"kind\", \"message\"}} on stdout "
      "(docs/json-output.md).");
  app.fallthrough();  // global options (-c, -v, -q) also after the command
  std::string config_path;
  bool verbose = false, quiet = false;
  app.add_option("-c,--config", config_path,
                 "config file (else $BACKUPBUDDY_CONFIG, ./backupbuddy.toml, /etc/backupbuddy/backupbuddy.toml)");
  app.add_flag("-v,--verbose", verbose, "more detail");
  app.add_flag("-q,--quiet", quiet, "only warnings and errors");
  std::string log_format = "text";
  app.add_option("--log-format", log_format, "text (for people) or json (one object per line, for machines)")
      ->check(CLI::IsMember({"text", "json"}));

  bb::BackupOptions backup_opts;
  auto* backup = app.add_subcommand("backup", "back up the configured (or the named) databases");
  backup->add_option("databases", backup_opts.databases, "databases to back up (default: [[databases]])");
  backup->add_flag("--all", backup_opts.all, "every non-template database on the server");
  backup->add_flag("--no-prune", backup_opts.no_prune, "do not apply retention after the backups");
  backup->add_flag("--json", backup_opts.json, "print the results as JSON");

  bb::PruneOptions prune_opts;
  auto* prune = app.add_subcommand("prune", "delete old backups by the retention rules");
  prune->add_option("databases", prune_opts.databases, "databases to prune (default: every database in storage)");
  prune->add_flag("--dry-run", prune_opts.dry_run, "only show what would be deleted");
  prune->add_flag("--json", prune_opts.json, "print the plan as JSON");

  bb::ListOptions list_opts;
  auto* list = app.add_subcommand("list", "list databases with backups, or one database's backups");
  list->add_option("database", list_opts.database, "show this database's backups");
  list->add_flag("--json", list_opts.json, "print as JSON");

  bb::RestoreOptions restore_opts;
  auto* restore = app.add_subcommand("restore", "restore a backup into a NEW database (never over the source); the rows of "
                                                "every table are checked against the backup before it gets its name");
  restore->add_option("database", restore_opts.request.source, "the database whose backup to restore")->required();
  auto* by_id = restore->add_option("--backup", restore_opts.request.backup_id, "backup id (see `list DB`)");
  restore->add_option("--at", restore_opts.request.at, "newest backup at or before this time (2026-09-03 14:00)")
      ->excludes(by_id);
  restore->add_option("--into", restore_opts.request.into, "target database name (default [restore] target)");
  restore->add_option("--jobs", restore_opts.request.jobs,
                      "parallel pg_restore jobs (default [restore] jobs; above 1 uses a temporary file in TMPDIR)")
      ->check(CLI::Range(1, 64));
  restore->add_flag("--no-owner", restore_opts.request.no_owner,
                    "objects belong to the restoring user (for a server without the original roles)");
  restore->add_option("--table", restore_opts.request.tables,
                      "restore only this table (SCHEMA.NAME; repeatable) with its data, indexes and constraints")
      ->allow_extra_args(false);
  restore->add_option("--schema", restore_opts.request.schemas,
                      "restore only the objects of this schema (repeatable)")
      ->allow_extra_args(false);
  restore->add_flag("--create-roles", restore_opts.request.create_roles,
                    "create the owner roles this server lacks first (NOLOGIN, no password, with their memberships "
                    "from the stored globals; also [restore] create_roles)");
  restore->add_flag("--json", restore_opts.json, "print the result as JSON");

  bb::ExportRequest export_req;
  auto* export_cmd = app.add_subcommand("export", "write a backup as the plain pg_dump archive (for pg_restore anywhere)");
  export_cmd->add_option("database", export_req.source, "the database whose backup to export")->required();
  auto* export_id = export_cmd->add_option("--backup", export_req.backup_id, "backup id (see `list DB`)");
  export_cmd->add_option("--at", export_req.at, "newest backup at or before this time (2026-09-03 14:00)")
      ->excludes(export_id);
  export_cmd->add_option("-o,--output", export_req.output,
                         "the file to write (checksum verified, decrypted, decompressed; written under a temporary "
                         "name and renamed when complete), or - for standard output")
      ->required();

  bb::VerifyOptions verify_opts;
  auto* verify = app.add_subcommand("verify", "prove backups are intact (checksum, full dump parse) and restorable");
  verify->add_option("databases", verify_opts.databases, "databases to verify (default: every database in storage)");
  verify->add_flag("--all", verify_opts.every_backup, "every backup, not only the newest of each database");
  verify->add_flag("--restore-test", verify_opts.restore_test,
                   "also restore into a scratch database, compare row counts, drop it");
  verify->add_flag("--json", verify_opts.json, "print the results as JSON");

  std::string keygen_output = "backupbuddy-age.key";
  auto* keygen = app.add_subcommand("keygen", "create an age key pair for [encryption]; prints the public key");
  keygen->add_option("-o,--output", keygen_output, "where to write the private key (never overwritten)");

  auto* serve = app.add_subcommand("serve", "run the scheduler (and the Telegram bot and the web console when configured) until stopped");

  bool status_json = false;
  auto* status = app.add_subcommand("status", "the last backup and verification of every database (state file)");
  status->add_flag("--json", status_json, "print as JSON");

  bool check_json = false;
  auto* check = app.add_subcommand("check", "check config, PostgreSQL, pg_dump and storage");
  check->add_flag("--json", check_json, "print as JSON");
  bool check_notify = false;
  check->add_flag("--notify", check_notify, "send a test message on every notification channel");

  bb::ArchivesOptions archives_opts;
  auto* archives = app.add_subcommand("archives", "list (or drop) the archive databases BackupBuddy created from this config's databases");
  archives->add_option("--drop", archives_opts.drop, "drop this archive database (only if BackupBuddy created it)");
  archives->add_flag("--all", archives_opts.all,
                     "also the archives of databases this config does not back up (default: only archives of "
                     "[[databases]], or of every database with [backup] all_databases)");
  archives->add_flag("--json", archives_opts.json, "print as JSON");

  auto* bot = app.add_subcommand("bot", "run the Telegram restore bot (until SIGTERM)");

  auto* web = app.add_subcommand("web", "run the web console ([web] listen) until SIGTERM");
  auto* hash_password = app.add_subcommand(
      "hash-password", "read a password from standard input, print its hash for [[web.users]] password_hash");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    if (code != 0 && wants_json(argc, argv)) bb::print_json_error(bb::kExitUsage, "usage", e.what());
    return code == 0 ? 0 : bb::kExitUsage;
  }
  const bool json = backup_opts.json || prune_opts.json || list_opts.json || restore_opts.json ||
                    verify_opts.json || status_json || check_json || archives_opts.json;
  bb::log::set_level(verbose ? bb::log::Level::kDebug : quiet ? bb::log::Level::kWarn : bb::log::Level::kInfo);
  bb::log::set_format(log_format == "json" ? bb::log::Format::kJson : bb::log::Format::kText);
  bb::install_signal_handlers();
  try {
    if (*keygen) return bb::cmd_keygen(keygen_output);
    if (*hash_password) return bb::cmd_hash_password();
    bb::Config config = load(config_path);
    if (*backup) return bb::cmd_backup(config, backup_opts);
    if (*list) return bb::cmd_list(config, list_opts);
    if (*prune) return bb::cmd_prune(config, prune_opts);
    if (*restore) return bb::cmd_restore(config, restore_opts);
    if (*export_cmd) return bb::cmd_export(config, export_req);
    if (*check) return bb::cmd_check(config, check_json, check_notify);
    if (*status) return bb::cmd_status(config, status_json);
    if (*serve) return bb::cmd_serve([&] { return load(config_path); }, config);
    if (*verify) return bb::cmd_verify(config, verify_opts);
    if (*archives) return bb::cmd_archives(config, archives_opts);
    if (*bot) return bb::cmd_bot(config);
    if (*web) return bb::cmd_web(config);
  } catch (const bb::Error& e) {
    bb::log::error(bb::cli_error_text(e));
    if (json) bb::print_json_error(e.exit_code(), bb::error_kind(e), bb::cli_error_text(e));
    return e.exit_code();
  } catch (const std::exception& e) {
    bb::log::error(std::string("unexpected: ") + e.what());
    if (json) bb::print_json_error(bb::kExitFailed, bb::error_kind(e), std::string("unexpected: ") + e.what());
    return bb::kExitFailed;
  }
  return bb::kExitUsage;
}
