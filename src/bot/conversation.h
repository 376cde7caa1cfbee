// Conversation: the Telegram bot's PURE state machine. An incoming update (a text message
// or a button press) goes in; a list of actions (send, edit, answer the button, start a
// job, log) comes out. No network and no clock: the bot (bot/bot.cpp) performs the
// actions, and unit tests drive it with a fake BotBackend. Buttons carry short opaque
// tokens mapped to what was offered in that chat, so forged callback data does nothing.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bot/backend.h"
#include "bot/messages.h"
#include "notify/telegram_api.h"

namespace bb::bot {

// The Telegram data the conversation works with (notify/telegram_api.h).
using telegram::Button;
using telegram::Incoming;
using telegram::Keyboard;
using telegram::BotIdentity;
using telegram::TelegramApi;
using telegram::TelegramError;
using telegram::RawUpdate;
using telegram::fit_message;
using telegram::inline_keyboard_json;
using telegram::parse_update;

// A restore or backup run: a job of the queue the bot shares with the web console.
struct Job {
  enum class Kind { kRestore, kBackup };
  std::uint64_t id = 0;
  Kind kind = Kind::kRestore;
  std::string db;
  std::string backup_id;  // kRestore
  TimePoint backup_time{};  // kRestore
  std::string target;     // kRestore: the archive database
  std::int64_t chat_id = 0;
  std::int64_t user_id = 0;
};

// How a job ended.
struct JobOutcome {
  bool ok = false;
  bool busy = false;      // a backup run of another process held the lock
  bool cancelled = false; // the bot was stopped
  std::string error;      // plain reason when not ok
  Remedy remedy = Remedy::kNone;  // what the user can do about it (worded by the bot)
  RestoreResult restore;  // kRestore and ok
  BackupResult backup;    // kBackup and ok
};

// Something the bot must do.
struct Action {
  enum class Kind { kSend, kEdit, kAnswerCallback, kStartJob, kLog };
  Kind kind = Kind::kSend;
  std::int64_t chat_id = 0;
  std::int64_t message_id = 0;  // kEdit
  std::string text;             // kSend/kEdit: message; kLog: log line
  Keyboard keyboard;            // kSend/kEdit
  std::string callback_id;      // kAnswerCallback
  std::uint64_t job_id = 0;     // kSend: report the sent message's id via job_message_sent(); kStartJob
  std::optional<Job> job;       // kStartJob: put it into the job queue, then call job_submitted()
};

// Fixed settings of a conversation.
struct ConversationSettings {
  std::vector<std::int64_t> admins;
  Language language = Language::kRu;
  const date::time_zone* zone = nullptr;  // for dates; nullptr: UTC
  std::size_t page_size = 8;
  std::size_t max_offers_per_chat = 400;  // oldest buttons stop working beyond this
  // The bot's own username (getMe, without "@"): "/start@<it>" is answered, "/start@OtherBot"
  // (meant for another bot in a group) is not. Empty: only bare commands are answered.
  std::string bot_username;
};

// A command as Telegram sends it: "/Backup@MyBot  buh2_db" -> {"/backup", "MyBot", "buh2_db"}.
struct Command {
  std::string name;       // lower case, with the leading "/"
  std::string addressee;  // the bot it names after "@", as written; empty for a bare command
  std::string args;       // the rest, trimmed
};

// Parses a message that starts with "/"; nullopt for any other text.
std::optional<Command> parse_command(const std::string& text);

// True when a command is meant for the bot called our_username: a bare command, or one
// addressed to that name (Telegram usernames are case-insensitive).
bool is_addressed_to(const Command& command, const std::string& our_username);

// The bot's conversation with every chat. Not thread-safe: the bot serialises calls.
class Conversation {
 public:
  Conversation(BotBackend& backend, ConversationSettings settings);

  // Handles one update. Non-admins get no actions at all (one kLog the first time); a
  // command addressed to another bot gets none either.
  std::vector<Action> handle(const Incoming& update);
  // Sets the bot's own username once getMe told it (see ConversationSettings).
  void set_bot_username(std::string username) { settings_.bot_username = std::move(username); }
  // The bot sent a job's progress message (an Action with job_id) as message_id. When the
  // job started while its "queued" message was on its way, returns the edit that says so.
  std::vector<Action> job_message_sent(std::uint64_t job_id, std::int64_t message_id);
  // The bot put the job of a kStartJob into the job queue (shared with the web console)
  // at that place in line (0: it runs already): its chat hears "starting" or its place.
  std::vector<Action> job_submitted(std::uint64_t job_id, std::size_t position);
  // The job, still waiting, moved up to that place in line: its "queued" message says so.
  std::vector<Action> job_waiting(std::uint64_t job_id, std::size_t position);
  // The queue started the job: a chat that was told it waits hears that it starts.
  std::vector<Action> job_started(std::uint64_t job_id);
  // Progress of a running job (the bot throttles the calls).
  std::vector<Action> job_progress(std::uint64_t job_id, std::uint64_t done, std::uint64_t total);
  // The job ended (or was taken out of the queue): tell its chat.
  std::vector<Action> job_finished(std::uint64_t job_id, const JobOutcome& outcome);
  // The bot is stopping: tell the chat of every job that has not started that it will not
  // run, and forget those jobs (the bot takes them out of the queue).
  std::vector<Action> cancel_queued();
  // The oldest of the bot's jobs in the queue (running, or the next of the bot's to run).
  std::optional<std::uint64_t> running_job() const;
  // Number of the bot's jobs in the queue that have not started.
  std::size_t queued_jobs() const;

  // A failed job's reason with the bot's words for its remedy (never a command-line flag).
  std::string reason(const JobOutcome& outcome) const;

 private:
  // What a button offered in a chat stands for.
  struct Offer {
    enum class Kind { kDatabase, kPage, kBackup, kConfirmRestore, kCancel, kDropArchive, kConfirmDrop, kBackupDb };
    Kind kind = Kind::kDatabase;
    std::string db{};
    std::string backup_id{};
    TimePoint time{};
    std::string archive{};  // kDropArchive, kConfirmDrop: the archive; kConfirmRestore: the target
    std::size_t page = 0;
    std::uint64_t group = 0;  // buttons of one confirmation: using one retires all
  };
  struct ChatState {
    std::map<std::string, Offer> offers;  // token -> offer
    std::deque<std::string> order;        // oldest first, for eviction
    std::set<std::string> used;           // retired single-use tokens (for a clearer reply)
  };
  // One of the bot's jobs in the job queue.
  struct ActiveJob {
    Job job;
    std::optional<std::int64_t> message_id;
    bool started = false;
    std::size_t waiting_at = 0;  // its place in line, as its chat was last told (0: not told)
  };

  bool is_admin(std::int64_t user) const;
  std::string offer(std::int64_t chat, Offer offer);
  void retire_group(std::int64_t chat, std::uint64_t group);
  std::string t(Msg msg, std::initializer_list<std::pair<std::string_view, std::string>> values = {}) const;
  std::string when(TimePoint time) const;
  // The done message's line on the row check.
  std::string rows_checked(const RowCheck& check) const;

  std::vector<Action> on_text(const Incoming& u);
  std::vector<Action> on_callback(const Incoming& u);
  void show_databases(const Incoming& u, std::vector<Action>& out, bool edit);
  void show_backups(const Incoming& u, const std::string& db, std::size_t page, std::vector<Action>& out, bool edit);
  void show_confirm_restore(const Incoming& u, const Offer& o, std::vector<Action>& out);
  void show_list(const Incoming& u, std::vector<Action>& out);
  void show_status(const Incoming& u, std::vector<Action>& out);
  void show_archives(const Incoming& u, std::vector<Action>& out);
  void request_backup(const Incoming& u, const std::string& db, std::vector<Action>& out);
  void enqueue(Job job, std::vector<Action>& out);
  ActiveJob* find_job(std::uint64_t job_id);
  // Edits the job's message (or sends one when it has none yet) to text.
  void say_about(const ActiveJob& job, std::string text, std::vector<Action>& out) const;
  std::string starting_text(const Job& job) const;
  std::string job_what(const Job& job) const;
  void reply(const Incoming& u, std::string text, Keyboard keyboard, std::vector<Action>& out, bool edit) const;

  BotBackend& backend_;
  ConversationSettings settings_;
  std::map<std::int64_t, ChatState> chats_;
  std::set<std::int64_t> denied_logged_;
  std::uint64_t next_token_ = 1;
  std::uint64_t next_group_ = 1;
  std::uint64_t next_job_ = 1;
  std::deque<ActiveJob> jobs_;  // the bot's jobs in the job queue, in the order submitted
};

// Runs a job against the backend (called on the job queue's worker thread; never throws:
// every failure is in the outcome, a stop request as cancelled).
JobOutcome run_job(BotBackend& backend, const Job& job, const ProgressCallback& progress);

}  // namespace bb::bot
