// Bot: polling loop, job worker and the real backend (see bot.h).
#include "bot/bot.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "catalog/inventory.h"
#include "ops/archives.h"
#include "ops/backups.h"
#include "ops/list.h"
#include "notify/metrics.h"
#include "notify/notifier.h"
#include "pg/session.h"
#include "pg/tools.h"
#include "state/state.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/format.h"
#include "util/lockfile.h"
#include "util/log.h"
#include "util/signals.h"

namespace bb::bot {
namespace {

// Sleeps up to `total`, waking early when a stop was requested.
void sleep_unless_stopped(std::chrono::milliseconds total) {
  auto until = std::chrono::steady_clock::now() + total;
  while (!cancel_requested()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= until) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(100)));
  }
}

}  // namespace

// ---- CoreBackend ---------------------------------------------------------------------

std::vector<BotDatabase> CoreBackend::databases() {
  RunContext ctx(config_);
  std::vector<BotDatabase> out;
  for (const auto& d : list_overview(ctx).databases) out.push_back({d.name, d.count, d.newest.time});
  return out;
}

std::vector<BotBackup> CoreBackend::backups(const std::string& db) {
  RunContext ctx(config_);
  std::vector<BotBackup> out;
  // Only trusted backups are offered: a future-dated or broken object is no choice for a user.
  for (const auto& b : list_database(ctx, db)) {
    if (b.entry.distrust.empty()) out.push_back({b.entry.id, b.entry.time, b.entry.stored_bytes});
    else log::warn("bot: not offering backup " + b.entry.id + " of " + quote_name(db) + ": " + b.entry.distrust);
  }
  return out;
}

std::string CoreBackend::restore_target(const std::string& db) { return archive_name_for(config_, db); }

RestoreResult CoreBackend::restore(const std::string& db, const std::string& backup_id,
                                   const ProgressCallback& progress) {
  RunContext ctx(config_);
  RestoreRequest request;
  request.source = db;
  request.backup_id = backup_id;
  return restore_backup(ctx, request, progress);
}

std::vector<BotArchive> CoreBackend::archives() {
  RunContext ctx(config_);
  std::vector<BotArchive> out;
  for (const auto& a : list_archives(ctx))
    out.push_back({a.name, a.marker.source, a.marker.backup_id, a.marker.restored_at, a.configured_source});
  return out;
}

void CoreBackend::drop_archive(const std::string& name) {
  RunContext ctx(config_);
  bb::drop_archive(ctx, name);
}

BackupResult CoreBackend::backup(const std::string& db, const ProgressCallback& progress) {
  if (!config_.find_database(db)) {
    // configured_databases() may come from [backup] all_databases: check it the same way.
    auto dbs = configured_databases();
    if (std::find(dbs.begin(), dbs.end(), db) == dbs.end())
      throw OperationError(quote_name(db) + " is not a configured database");
  }
  // The same run as every other (lock, verification, state file, retention), then the report.
  Notifiers notifiers(config_);
  std::vector<BackupResult> results =
      run_backups(config_, {db}, false, true, "backup (telegram bot)", {}, progress, [&] { notifiers.run_started(); });
  write_metrics_textfile(config_);
  notifiers.run_finished(results);
  BackupResult r = results.at(0);
  if (r.ok)
    log::info("telegram: backed up " + quote_name(db) + " as " + r.id + " (" + human_bytes(r.stored_bytes) + " stored)");
  else
    log::error("telegram: backup of " + quote_name(db) + " failed: " + r.error);
  return r;
}

std::vector<std::string> CoreBackend::configured_databases() {
  std::vector<std::string> out;
  for (const auto& d : config_.databases) out.push_back(d.name);
  if (out.empty() && config_.backup.all_databases) {
    RunContext ctx(config_);
    out = databases_to_back_up(config_, ctx.session(), {}, true);
  }
  return out;
}

std::map<std::string, DatabaseState> CoreBackend::status() {
  return StateStore(state_directory(config_.backup.state_dir)).load();
}

// ---- Bot -----------------------------------------------------------------------------

struct Bot::Impl {
  Impl(const Config& config, BotBackend& backend, BotTiming timing)
      : backend(backend),
        timing(timing),
        poll_api(config.telegram.api_url, config.telegram.token.value),
        worker_api(config.telegram.api_url, config.telegram.token.value),
        conversation(backend, settings(config)) {}

  static ConversationSettings settings(const Config& config) {
    ConversationSettings s;
    s.admins = config.telegram.admins;
    s.language = parse_language(config.telegram.language).value_or(Language::kRu);
    s.zone = resolve_zone(config.backup.timezone);
    return s;
  }

  // Performs actions with one thread's API client. Errors are logged, never thrown:
  // a failed send must not stop the loop (the next update may work again).
  void perform(TelegramApi& api, const std::vector<Action>& actions) {
    for (const auto& a : actions) {
      try {
        perform_one(api, a);
      } catch (const CancelledError&) {
        return;
      } catch (const std::exception& e) {
        log::warn(log::mask_secrets(std::string("telegram: ") + e.what()));
      }
    }
  }

  void perform_one(TelegramApi& api, const Action& a) {
    switch (a.kind) {
      case Action::Kind::kLog:
        log::warn(a.text);
        return;
      case Action::Kind::kStartJob: {
        std::lock_guard<std::mutex> g(jobs_mutex);
        jobs.push_back(*a.job);
        jobs_cv.notify_one();
        return;
      }
      case Action::Kind::kAnswerCallback:
        with_retry([&] { api.answer_callback_query(a.callback_id); });
        return;
      case Action::Kind::kSend: {
        std::int64_t id = 0;
        with_retry([&] { id = api.send_message(a.chat_id, log::mask_secrets(a.text), a.keyboard); });
        if (a.job_id != 0 && id != 0) {
          std::lock_guard<std::mutex> g(conversation_mutex);
          conversation.job_message_sent(a.job_id, id);
        }
        return;
      }
      case Action::Kind::kEdit:
        try {
          with_retry([&] { api.edit_message_text(a.chat_id, a.message_id, log::mask_secrets(a.text), a.keyboard); });
        } catch (const TelegramError& e) {
          if (e.kind() != TelegramError::Kind::kRejected) throw;
          std::string what = e.what();
          if (what.find("not modified") != std::string::npos) return;
          // The message is gone or cannot be edited: say it in a new one.
          with_retry([&] { api.send_message(a.chat_id, log::mask_secrets(a.text), a.keyboard); });
        }
        return;
    }
  }

  // Retries a call on transient errors (network, 5xx, 429 retry_after) a few times.
  template <typename F>
  void with_retry(F&& f) {
    std::chrono::milliseconds pause{500};
    for (int attempt = 1;; ++attempt) {
      try {
        f();
        return;
      } catch (const TelegramError& e) {
        if (e.kind() != TelegramError::Kind::kTransient || attempt >= 4) throw;
        auto wait = std::max<std::chrono::milliseconds>(pause, e.retry_after());
        log::debug(std::string(e.what()) + "; retrying in " + std::to_string(wait.count()) + " ms");
        sleep_unless_stopped(wait);
        pause *= 2;
      }
    }
  }

  void handle(const RawUpdate& u) {
    std::vector<Action> actions;
    {
      std::lock_guard<std::mutex> g(conversation_mutex);
      actions = conversation.handle(u.incoming);
    }
    perform(poll_api, actions);
  }

  void worker_loop() {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> g(jobs_mutex);
        jobs_cv.wait(g, [&] { return stopping || !jobs.empty(); });
        if (jobs.empty()) return;  // stopping, nothing left
        job = jobs.front();
        jobs.pop_front();
      }
      log::info("telegram: user " + std::to_string(job.user_id) + " started " +
                (job.kind == Job::Kind::kRestore ? "a restore of " + quote_name(job.db) + " backup " + job.backup_id +
                                                       " into " + quote_name(job.target)
                                                 : "a backup of " + quote_name(job.db)));
      auto last = std::chrono::steady_clock::now();
      ProgressCallback progress = [&](std::uint64_t done, std::uint64_t total) {
        auto now = std::chrono::steady_clock::now();
        if (now - last < timing.progress_interval) return;
        last = now;
        std::vector<Action> actions;
        {
          std::lock_guard<std::mutex> g(conversation_mutex);
          actions = conversation.job_progress(job.id, done, total);
        }
        perform(worker_api, actions);
      };
      JobOutcome outcome = run_job(backend, job, progress);
      if (!outcome.ok && !outcome.cancelled) log::error("telegram: job failed: " + outcome.error);
      std::vector<Action> actions;
      {
        std::lock_guard<std::mutex> g(conversation_mutex);
        actions = conversation.job_finished(job.id, outcome);
      }
      perform(worker_api, actions);
    }
  }

  // Asks getMe for the bot's username, so that "/start@OtherBot" in a group is left to
  // that bot. Network errors are retried with backoff; a refused token ends the bot.
  void learn_username() {
    std::chrono::milliseconds backoff{1000};
    while (!cancel_requested()) {
      try {
        BotIdentity me = poll_api.get_me();
        std::lock_guard<std::mutex> g(conversation_mutex);
        conversation.set_bot_username(me.username);
        return;
      } catch (const TelegramError& e) {
        if (e.kind() != TelegramError::Kind::kTransient) throw;
        log::warn(std::string(e.what()) + " — retrying in " + human_seconds(backoff.count() / 1000.0));
        sleep_unless_stopped(backoff);
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, timing.max_backoff);
      }
    }
  }

  void run() {
    worker = std::thread([this] { worker_loop(); });
    std::int64_t offset = 0;
    std::chrono::milliseconds backoff{1000};
    try {
      learn_username();
      while (!cancel_requested()) {
        auto started = std::chrono::steady_clock::now();
        std::vector<RawUpdate> updates;
        try {
          updates = poll_api.get_updates(offset, timing.poll_timeout, [] { return cancel_requested(); });
          backoff = std::chrono::milliseconds{1000};
        } catch (const CancelledError&) {
          break;
        } catch (const TelegramError& e) {
          if (e.kind() == TelegramError::Kind::kUnauthorized || e.kind() == TelegramError::Kind::kConflict) throw;
          auto wait = std::max<std::chrono::milliseconds>(backoff, e.retry_after());
          log::warn(std::string(e.what()) + " — retrying in " + human_seconds(wait.count() / 1000.0));
          sleep_unless_stopped(wait);
          backoff = std::min<std::chrono::milliseconds>(backoff * 2, timing.max_backoff);
          continue;
        }
        for (const auto& u : updates) {
          if (offset != 0 && u.update_id < offset) continue;  // already handled (a server that ignores offset)
          try {
            handle(u);
          } catch (const CancelledError&) {
            break;
          } catch (const std::exception& e) {
            log::error(log::mask_secrets(std::string("telegram: update ") + std::to_string(u.update_id) +
                                         " could not be handled: " + e.what()));
          }
          offset = u.update_id + 1;  // acknowledged only now that it was handled
        }
        if (updates.empty()) {
          auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
          if (elapsed < timing.min_empty_poll_gap) sleep_unless_stopped(timing.min_empty_poll_gap - elapsed);
        }
      }
    } catch (...) {
      request_cancel();  // a fatal polling error ends the process: undo the running job too
      stop_worker();
      throw;
    }
    stop_worker();
  }

  void stop_worker() {
    std::vector<Action> actions;
    {
      std::lock_guard<std::mutex> g(conversation_mutex);
      actions = conversation.cancel_queued();
    }
    perform(poll_api, actions);
    {
      std::lock_guard<std::mutex> g(jobs_mutex);
      stopping = true;
      jobs_cv.notify_all();
    }
    if (worker.joinable()) worker.join();
  }

  BotBackend& backend;
  BotTiming timing;
  TelegramApi poll_api;
  TelegramApi worker_api;
  std::mutex conversation_mutex;
  Conversation conversation;
  std::mutex jobs_mutex;
  std::condition_variable jobs_cv;
  std::deque<Job> jobs;
  bool stopping = false;
  std::thread worker;
};

Bot::Bot(const Config& config, BotBackend& backend, BotTiming timing)
    : impl_(std::make_unique<Impl>(config, backend, timing)) {}

Bot::~Bot() = default;

void Bot::run() { impl_->run(); }

}  // namespace bb::bot
