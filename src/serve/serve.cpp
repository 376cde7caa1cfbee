// `backupbuddy serve`.
#include "serve/serve.h"

#include <map>
#include <set>
#include <thread>

#include "bot/bot.h"
#include "catalog/trust.h"
#include "ops/backup.h"
#include "ops/backups.h"
#include "notify/metrics.h"
#include "notify/notifier.h"
#include "ops/jobs.h"
#include "ops/verify.h"
#include "storage/storage.h"
#include "pg/session.h"
#include "state/state.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"
#include "util/signals.h"
#include "util/timezone.h"
#include "web/console.h"

namespace bb {
namespace {

constexpr auto kTick = std::chrono::milliseconds(250);
constexpr auto kLockRetry = std::chrono::seconds(5);  // a scheduled run waiting for the backup lock tries this often

// The databases an entry covers right now (all_others asks the server).
std::vector<std::string> resolve(const Config& config, const ScheduleEntry& entry) {
  std::vector<std::string> out = entry.databases;
  if (!entry.all_others) return out;
  std::set<std::string> own_schedule;
  for (const auto& db : config.databases)
    if (db.schedule) own_schedule.insert(db.name);
  RunContext ctx(config);
  PgSession& session = ctx.session();
  std::set<std::string> listed(out.begin(), out.end());
  for (const auto& db : databases_to_back_up(config, session, {}, true))
    if (!own_schedule.count(db) && !listed.count(db)) out.push_back(db);
  return out;
}

// The [web] settings the console works with, as one comparable text.
std::string web_settings(const WebConfig& web) {
  std::string out = web.listen + "\n" + web.tls_cert_file + "\n" + web.tls_key_file + "\n" + web.language + "\n" +
                    std::to_string(web.session_idle.count());
  for (const auto& u : web.users)
    out += "\n" + u.name + "\n" + u.password_hash + "\n" + std::to_string(static_cast<int>(u.role));
  return out;
}

class Scheduler {
 public:
  // hosted: the configuration the bot and the web console keep until restart.
  Scheduler(const std::function<Config()>& reload, Config config, const Config& hosted)
      : reload_(reload), config_(std::move(config)), hosted_(hosted) {
    rebuild(std::chrono::system_clock::now());
  }

  int run() {
    log::info("serve: scheduler started (" + describe_entries() + ")");
    catch_up("missed while BackupBuddy was not running");
    while (!cancel_requested()) {
      if (take_reload_request()) reload_config();
      if (take_run_now_request()) catch_up("asked for with SIGUSR1");
      auto now = std::chrono::system_clock::now();
      std::vector<std::string> due;
      for (auto& [entry, next] : entries_) {
        if (next > now) continue;
        for (const auto& db : safe_resolve(entry)) due.push_back(db);
        next = entry.schedule.next_after(now, zone_);
      }
      if (!due.empty()) run(due, "scheduled");
      if (drill_ && drill_->second <= now) {
        drill_->second = drill_->first.next_after(now, zone_);
        run_drill();
      }
      std::this_thread::sleep_for(kTick);
    }
    log::info("serve: stopped");
    return kExitOk;
  }

 private:
  void rebuild(TimePoint now) {
    zone_ = resolve_zone(config_.backup.timezone);
    drill_.reset();
    if (config_.verify.schedule) {
      CronSchedule drill = CronSchedule::parse(*config_.verify.schedule);
      TimePoint next = drill.next_after(now, zone_);
      drill_.emplace(std::move(drill), next);
    }
    entries_.clear();
    for (auto& e : schedule_entries(config_)) {
      TimePoint next = e.schedule.next_after(now, zone_);
      entries_.emplace_back(std::move(e), next);
    }
  }

  std::string describe_entries() const {
    std::string out;
    for (const auto& [e, next] : entries_) {
      if (!out.empty()) out += "; ";
      out += "\"" + e.schedule.text() + "\": " +
             (e.databases.empty() ? std::string() : std::to_string(e.databases.size()) + " database(s)") +
             (e.all_others ? (e.databases.empty() ? "" : " + ") + std::string("all others") : "") + ", next " +
             format_local(next, zone_);
    }
    return out.empty() ? "nothing to schedule: no databases configured" : out;
  }

  std::vector<std::string> safe_resolve(const ScheduleEntry& e) {
    try {
      return resolve(config_, e);
    } catch (const std::exception& ex) {
      log::error(std::string("serve: cannot list the databases to back up: ") + ex.what());
      Notifiers(config_).alert(std::string("❌ BackupBuddy: ") + ex.what());
      return e.databases;
    }
  }

  void catch_up(const std::string& why) {
    std::map<std::string, DatabaseState> state;
    try {
      state = StateStore(state_directory(config_.backup.state_dir)).load();
    } catch (const std::exception& e) {
      log::warn(std::string("serve: cannot read the state file: ") + e.what());
    }
    auto now = std::chrono::system_clock::now();
    std::vector<std::string> due;
    for (const auto& [entry, next] : entries_) {
      auto dbs = due_for_catch_up(safe_resolve(entry), entry.schedule, now, zone_, config_.backup.catch_up,
                                  [&](const std::string& db) {
                                    auto it = state.find(db);
                                    return it == state.end() ? std::nullopt : it->second.backup_at;
                                  });
      due.insert(due.end(), dbs.begin(), dbs.end());
    }
    if (!due.empty()) run(due, why);
    // A restore drill that is due and has not run since its scheduled time.
    if (drill_) {
      auto fired = drill_->first.previous_at_or_before(now, zone_);
      bool missed = false;
      if (fired && now - *fired <= config_.backup.catch_up)
        for (const auto& [entry, next] : entries_)
          for (const auto& db : entry.databases) {
            auto it = state.find(db);
            if (it == state.end() || it->second.verified_at.value_or(TimePoint{}) < *fired) missed = true;
          }
      if (missed) run_drill();
    }
  }

  void run(std::vector<std::string> dbs, const std::string& why) {
    std::set<std::string> seen;
    std::vector<std::string> unique;
    for (auto& d : dbs)
      if (seen.insert(d).second) unique.push_back(d);
    log::info("serve: backing up " + std::to_string(unique.size()) + " database(s) (" + why + ")");
    // Another backup holds the lock (a "back up now" of the bot or the console, a cron
    // `backupbuddy backup`): this run waits for it rather than skipping until tomorrow, for
    // at most [backup] catch_up (an hour when that is 0); then the admins are told.
    auto waited_since = std::chrono::steady_clock::now();
    auto patience = config_.backup.catch_up.count() > 0 ? config_.backup.catch_up : std::chrono::seconds(3600);
    bool told = false;
    for (;;) {
      try {
        Notifiers notifiers(config_);
        auto results = run_backups(
            config_, unique, false, true, "serve",
            [&](const BackupResult& r) {
              if (!r.ok) notifiers.backup_failed(r);
            },
            {}, [&] { notifiers.run_started(); });
        write_metrics_textfile(config_);
        notifiers.run_finished(results);
        return;
      } catch (const CancelledError&) {
        throw;
      } catch (const LockHeldError& e) {
        if (std::chrono::steady_clock::now() - waited_since >= patience) {
          log::error(std::string("serve: this run did not happen: ") + e.what());
          Notifiers(config_).alert(std::string("❌ BackupBuddy: the ") + why + " backup did not run: " +
                                   log::mask_secrets(e.what()));
          return;
        }
        if (!told) log::warn(std::string("serve: waiting for the lock (") + e.what() + "); trying again every " +
                             std::to_string(kLockRetry.count()) + " s");
        told = true;
        for (auto until = std::chrono::steady_clock::now() + kLockRetry;
             std::chrono::steady_clock::now() < until && !cancel_requested();)
          std::this_thread::sleep_for(kTick);
        throw_if_cancelled();
      } catch (const std::exception& e) {
        log::error(std::string("serve: the backup run failed: ") + e.what());
        Notifiers(config_).alert(std::string("❌ BackupBuddy: ") + log::mask_secrets(e.what()));
        return;
      }
    }
  }

  // Restore drill: verify --restore-test of each database's newest backup; the results go
  // into the state file (list, status, /status) and to the admins.
  void run_drill() {
    log::info("serve: restore drill started");
    try {
      RunContext ctx(config_);
      Storage& storage = ctx.storage();
      std::vector<std::string> dbs;
      for (const auto& e : entries_)
        for (const auto& db : safe_resolve(e.first)) dbs.push_back(db);
      std::vector<VerifyResult> results;
      for (const auto& db : dbs) {
        auto backups = list_database_backups(config_, storage, db);
        assess_backups(storage, backups, std::chrono::system_clock::now());
        const BackupEntry* newest = newest_trusted(backups);
        if (!newest) continue;
        VerifyResult r = verify_backup(ctx, *newest, true);
        if (auto problem = record_verification(config_, db, r)) log::warn(*problem);
        (r.ok ? log::info : log::error)("serve: restore drill of " + quote_name(db) + ": " +
                                        (r.ok ? std::string("ok") : r.error));
        results.push_back(std::move(r));
      }
      write_metrics_textfile(config_);
      Notifiers(config_).drill_finished(results);
    } catch (const CancelledError&) {
      throw;
    } catch (const std::exception& e) {
      log::error(std::string("serve: the restore drill failed: ") + e.what());
      Notifiers(config_).alert(std::string("❌ BackupBuddy: ") + log::mask_secrets(e.what()));
    }
  }

  void reload_config() {
    try {
      Config fresh = reload_();
      config_ = std::move(fresh);
      rebuild(std::chrono::system_clock::now());
      log::info("serve: configuration reloaded (" + describe_entries() + ")");
      if (web_settings(config_.web) != web_settings(hosted_.web))
        log::warn("serve: [web] changed in the configuration; the web console keeps its listen address, TLS files "
                  "and users until serve is restarted");
      log_config_warnings(config_);
    } catch (const std::exception& e) {
      log::error(std::string("serve: the new configuration is invalid, keeping the old one: ") + e.what());
      Notifiers(config_).alert(std::string("⚠️ BackupBuddy: the new configuration was not loaded (the old one stays "
                                         "in force): ") + e.what());
    }
  }

  std::function<Config()> reload_;
  Config config_;
  const Config& hosted_;
  const date::time_zone* zone_ = nullptr;
  std::vector<std::pair<ScheduleEntry, TimePoint>> entries_;
  std::optional<std::pair<CronSchedule, TimePoint>> drill_;
};

}  // namespace

int cmd_serve(const std::function<Config()>& reload, Config initial) {
  log_config_warnings(initial);
  // The bot and the web console keep the configuration they started with (SIGHUP reloads
  // what the scheduler uses: databases, schedules, storage, retention); changes to
  // [telegram] or [web] need a restart (the log says so when [web] changed).
  const Config hosted = initial;
  // One queue for the bot's and the console's restores and backups: one at a time.
  auto jobs = std::make_unique<JobQueue>(web::job_failure_wording);
  // The console binds first: a bad TLS file or a taken port stops serve before anything runs.
  std::unique_ptr<web::ConsoleServer> console;
  if (hosted.web.enabled()) console = std::make_unique<web::ConsoleServer>(hosted, *jobs);
  std::unique_ptr<bot::CoreBackend> backend;
  std::unique_ptr<bot::Bot> telegram_bot;
  std::thread bot_thread, console_thread;
  // A hosted front end on its own thread: if it stops, the scheduler goes on without it.
  auto host = [](const char* what, const char* section, auto& front_end) {
    return std::thread([what, section, &front_end] {
      try {
        front_end.run();
      } catch (const std::exception& e) {
        log::error(std::string("serve: the ") + what + " stopped: " + log::mask_secrets(e.what()) +
                   " — backups go on; fix [" + section + "] and restart the service");
      }
    });
  };
  if (hosted.telegram.enabled()) {
    backend = std::make_unique<bot::CoreBackend>(hosted);
    telegram_bot = std::make_unique<bot::Bot>(hosted, *backend, *jobs);
    bot_thread = host("Telegram bot", "telegram", *telegram_bot);
  }
  if (console) console_thread = host("web console", "web", *console);
  int code = kExitOk;
  {
    Scheduler scheduler(reload, std::move(initial), hosted);
    try {
      code = scheduler.run();
    } catch (const CancelledError&) {
      log::info("serve: stopped by a signal; the work in flight was undone");
    }
  }
  request_cancel();  // also stops the bot and the console when the scheduler ended for another reason
  if (bot_thread.joinable()) bot_thread.join();
  if (console_thread.joinable()) console_thread.join();
  // The running job sees the stop request and is undone; the bot and the console (whose
  // callbacks and jobs refer to them) outlive the queue.
  jobs.reset();
  return code;
}

}  // namespace bb
