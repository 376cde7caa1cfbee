// Bot: the long-running Telegram bot. A polling loop (getUpdates with an offset that
// moves past an update only after it was handled) feeds the Conversation; its restores
// and backups are jobs of a JobQueue (ops/jobs.h: its own under `backupbuddy bot`, the one
// shared with the web console under `serve`), followed to edit one progress message at
// most every few seconds and to tell the chat the job's place while it waits. CoreBackend
// is the real BotBackend over storage, PostgreSQL and the state file.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "bot/backend.h"
#include "bot/conversation.h"
#include "notify/telegram_api.h"
#include "config/config.h"
#include "ops/jobs.h"

namespace bb::bot {

// The real backend: each call opens its own storage client / PostgreSQL session, so the
// polling thread and the worker thread can use it at the same time.
class CoreBackend : public BotBackend {
 public:
  explicit CoreBackend(const Config& config) : config_(config) {}
  std::vector<BotDatabase> databases() override;
  std::vector<BotBackup> backups(const std::string& db) override;
  std::string restore_target(const std::string& db) override;
  RestoreResult restore(const std::string& db, const std::string& backup_id, const ProgressCallback& progress) override;
  std::vector<BotArchive> archives() override;
  void drop_archive(const std::string& name) override;
  BackupResult backup(const std::string& db, const ProgressCallback& progress) override;
  std::vector<std::string> configured_databases() override;
  std::map<std::string, DatabaseState> status() override;

 private:
  const Config& config_;
};

// Timing of the loop.
struct BotTiming {
  std::chrono::seconds poll_timeout{25};             // long-polling wait per getUpdates
  std::chrono::milliseconds min_empty_poll_gap{300}; // a server answering at once must not make us spin
  std::chrono::milliseconds progress_interval{3000}; // at most one progress edit per this
  std::chrono::seconds max_backoff{60};              // network errors: 1 s, 2 s, 4 s ... up to this
};

// The bot: run() polls until bb::cancel_requested(), then takes its waiting jobs out of the
// queue, waits for its running one (cancelled cleanly by the same stop request) and
// returns. The queue must outlive the bot.
class Bot {
 public:
  Bot(const Config& config, BotBackend& backend, JobQueue& jobs, BotTiming timing = {});
  ~Bot();
  Bot(const Bot&) = delete;
  Bot& operator=(const Bot&) = delete;

  // Polls and serves. Throws TelegramError when the token is refused (401) or another
  // instance polls the same token (409); network errors are retried with backoff.
  void run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bb::bot
