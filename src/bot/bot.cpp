// Bot: polling loop, its jobs in the shared queue, and the real backend (see bot.h).
#include "bot/bot.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "catalog/inventory.h"
#include "ops/archives.h"
#include "ops/backups.h"
#include "ops/json.h"
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
  Impl(const Config& config, BotBackend& backend, JobQueue& queue, BotTiming timing)
      : backend(backend),
        queue(queue),
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
      case Action::Kind::kStartJob:
        start_job(api, *a.job);
        return;
      case Action::Kind::kAnswerCallback:
        with_retry([&] { api.answer_callback_query(a.callback_id); });
        return;
      case Action::Kind::kSend: {
        std::int64_t id = 0;
        with_retry([&] { id = api.send_message(a.chat_id, log::mask_secrets(a.text), a.keyboard); });
        if (a.job_id != 0 && id != 0) perform(api, locked([&] { return conversation.job_message_sent(a.job_id, id); }));
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

  // Puts a job into the shared queue and follows it there: the chat hears its place while
  // it waits behind other jobs (e.g. the web console's), its progress, and how it ended.
  void start_job(TelegramApi& api, const Job& job) {
    {
      std::lock_guard<std::mutex> g(jobs_mutex);
      in_flight[job.id] = "";
    }
    auto outcome = std::make_shared<JobOutcome>();
    auto ran = std::make_shared<std::atomic<bool>>(false);
    auto last = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
    JobFollower follower;
    follower.moved = [this, id = job.id](std::size_t position) {
      perform(worker_api, locked([&] { return conversation.job_waiting(id, position); }));
    };
    follower.started = [this, id = job.id] { perform(worker_api, locked([&] { return conversation.job_started(id); })); };
    follower.progress = [this, id = job.id, last](std::uint64_t done, std::uint64_t total) {
      auto now = std::chrono::steady_clock::now();
      if (now - *last < timing.progress_interval) return;
      *last = now;
      perform(worker_api, locked([&] { return conversation.job_progress(id, done, total); }));
    };
    follower.finished = [this, id = job.id, outcome, ran](const JobEnd&) {
      if (!*ran) outcome->cancelled = true;  // the queue stopped before the job's turn
      if (!outcome->ok && !outcome->cancelled) log::error("telegram: job failed: " + outcome->error);
      perform(worker_api, locked([&] { return conversation.job_finished(id, *outcome); }));
      std::lock_guard<std::mutex> g(jobs_mutex);
      in_flight.erase(id);
      jobs_cv.notify_all();
    };
    JobWork work = [this, job, outcome, ran](const ProgressCallback& progress) -> nlohmann::ordered_json {
      *ran = true;
      log::info("telegram: user " + std::to_string(job.user_id) + " started " +
                (job.kind == Job::Kind::kRestore ? "a restore of " + quote_name(job.db) + " backup " + job.backup_id +
                                                       " into " + quote_name(job.target)
                                                 : "a backup of " + quote_name(job.db)));
      *outcome = run_job(backend, job, progress);
      if (outcome->cancelled) throw CancelledError();
      if (!outcome->ok) throw OperationError(outcome->error, outcome->remedy);
      return job.kind == Job::Kind::kRestore ? restore_json(outcome->restore) : backup_result_json(outcome->backup);
    };
    std::string queue_id;
    try {
      queue_id = queue.submit(job.kind == Job::Kind::kRestore ? "restore" : "backup",
                              "telegram:" + std::to_string(job.user_id), job.db, std::move(work), std::move(follower));
    } catch (const CancelledError&) {
      JobOutcome cancelled;
      cancelled.cancelled = true;
      {
        std::lock_guard<std::mutex> g(jobs_mutex);
        in_flight.erase(job.id);
      }
      perform(api, locked([&] { return conversation.job_finished(job.id, cancelled); }));
      return;
    }
    {
      std::lock_guard<std::mutex> g(jobs_mutex);
      auto it = in_flight.find(job.id);
      if (it != in_flight.end()) it->second = queue_id;
    }
    // The chat hears "starting" or its place in line (the conversation knows whether the
    // job started meanwhile).
    perform(api, locked([&] { return conversation.job_submitted(job.id, queue.position(queue_id)); }));
  }

  // Calls the conversation under its lock.
  template <typename F>
  std::vector<Action> locked(F&& f) {
    std::lock_guard<std::mutex> g(conversation_mutex);
    return f();
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
      stop_jobs();
      throw;
    }
    stop_jobs();
  }

  // Says "cancelled" to the chats of queued jobs, takes the job waiting in the shared queue
  // out of it, and waits until the running one (cancelled by the stop request) has ended.
  void stop_jobs() {
    perform(poll_api, locked([&] { return conversation.cancel_queued(); }));
    std::vector<std::uint64_t> withdrawn;
    {
      std::lock_guard<std::mutex> g(jobs_mutex);
      for (auto it = in_flight.begin(); it != in_flight.end();) {
        if (!it->second.empty() && queue.withdraw(it->second)) {
          withdrawn.push_back(it->first);
          it = in_flight.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (std::uint64_t id : withdrawn) {
      JobOutcome cancelled;
      cancelled.cancelled = true;
      perform(poll_api, locked([&] { return conversation.job_finished(id, cancelled); }));
    }
    std::unique_lock<std::mutex> g(jobs_mutex);
    jobs_cv.wait(g, [&] { return in_flight.empty(); });
  }

  BotBackend& backend;
  JobQueue& queue;
  BotTiming timing;
  TelegramApi poll_api;
  TelegramApi worker_api;
  std::mutex conversation_mutex;
  Conversation conversation;
  std::mutex jobs_mutex;
  std::condition_variable jobs_cv;
  std::map<std::uint64_t, std::string> in_flight;  // the bot's jobs in the shared queue: bot job id -> queue id
};

Bot::Bot(const Config& config, BotBackend& backend, JobQueue& jobs, BotTiming timing)
    : impl_(std::make_unique<Impl>(config, backend, jobs, timing)) {}

Bot::~Bot() = default;

void Bot::run() { impl_->run(); }

}  // namespace bb::bot
