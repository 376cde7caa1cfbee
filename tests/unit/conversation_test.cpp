// Tests of the bot's conversation state machine (bot/conversation.h) and message tables
// (bot/messages.h), driven through FakeBackend: an in-memory stand-in for the core.
#include "bot/conversation.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "bot/messages.h"
#include "notify/telegram_api.h"
#include "catalog/keys.h"
#include "util/error.h"
#include "util/timezone.h"

#include <nlohmann/json.hpp>

namespace bb::bot {
namespace {

constexpr std::int64_t kAdmin = 111;
constexpr std::int64_t kStranger = 999;
constexpr std::int64_t kChat = 111;

// FakeBackend: databases, backups and archives in memory; records what was asked.
class FakeBackend : public BotBackend {
 public:
  std::map<std::string, std::vector<BotBackup>> stored;
  std::vector<BotArchive> archive_list;
  std::vector<std::string> configured{"buh2_db", "zup3"};
  std::vector<std::pair<std::string, std::string>> restores;  // (db, backup id)
  std::vector<std::string> dropped, backed_up;
  int calls = 0;

  std::vector<BotDatabase> databases() override {
    ++calls;
    std::vector<BotDatabase> out;
    for (const auto& [db, list] : stored) {
      BotDatabase d{db, list.size(), std::nullopt};
      for (const auto& b : list)
        if (!d.newest || b.time > *d.newest) d.newest = b.time;
      out.push_back(d);
    }
    return out;
  }
  std::vector<BotBackup> backups(const std::string& db) override {
    ++calls;
    auto it = stored.find(db);
    return it == stored.end() ? std::vector<BotBackup>{} : it->second;
  }
  std::string restore_target(const std::string& db) override { return db + "_archive"; }
  std::optional<OperationError> restore_error;  // thrown by restore() when set
  RestoreResult restore(const std::string& db, const std::string& id, const ProgressCallback& progress) override {
    ++calls;
    restores.push_back({db, id});
    if (restore_error) throw *restore_error;
    if (progress) progress(50, 100);
    RestoreResult r;
    r.database = db + "_archive";
    r.source = db;
    r.backup_id = id;
    r.seconds = 72;
    r.row_check = compare_row_counts({{{"public", "t"}, 1200}, {{"public", "u"}, 34}},
                                     {{{"public", "t"}, 1200}, {{"public", "u"}, 34}});
    return r;
  }
  std::vector<BotArchive> archives() override {
    ++calls;
    return archive_list;
  }
  void drop_archive(const std::string& name) override {
    ++calls;
    dropped.push_back(name);
  }
  BackupResult backup(const std::string& db, const ProgressCallback&) override {
    ++calls;
    backed_up.push_back(db);
    BackupResult r;
    r.database = db;
    r.ok = true;
    r.id = "20240919T010000Z";
    r.stored_bytes = 5 << 20;
    r.seconds = 3;
    return r;
  }
  std::vector<std::string> configured_databases() override { return configured; }
  std::map<std::string, DatabaseState> status() override {
    ++calls;
    DatabaseState s;
    s.backup_at = parse_iso_utc("2024-09-19T01:00:00Z");
    s.backup_ok = true;
    s.stored_bytes = 123 << 20;
    return {{"buh2_db", s}};
  }
};

TimePoint at(const std::string& id) { return *parse_backup_id(id); }

// 20 backups of buh2_db, one per day of September 2024 at 01:00 UTC (04:00 Moscow).
FakeBackend make_backend() {
  FakeBackend b;
  for (int day = 1; day <= 20; ++day) {
    char id[32];
    std::snprintf(id, sizeof id, "202409%02dT010000Z", day);
    b.stored["buh2_db"].push_back({id, at(id), static_cast<std::uint64_t>(day) << 20});
  }
  b.stored["zup3"].push_back({"20240919T010000Z", at("20240919T010000Z"), 1000});
  b.stored["empty"];  // listed with zero backups: never offered
  return b;
}

ConversationSettings settings(Language lang = Language::kRu) {
  ConversationSettings s;
  s.admins = {kAdmin};
  s.language = lang;
  s.zone = resolve_zone("Europe/Moscow");
  s.bot_username = "BackupBuddyBot";
  return s;
}

Incoming text(const std::string& t, std::int64_t user = kAdmin) {
  Incoming u;
  u.kind = Incoming::Kind::kText;
  u.user_id = user;
  u.username = "@user" + std::to_string(user);
  u.chat_id = user;
  u.message_id = 1;
  u.text = t;
  return u;
}

Incoming press(const std::string& data, std::int64_t message_id = 42, std::int64_t user = kAdmin) {
  Incoming u;
  u.kind = Incoming::Kind::kCallback;
  u.user_id = user;
  u.chat_id = user;
  u.message_id = message_id;
  u.callback_id = "cb" + data;
  u.data = data;
  return u;
}

// The one message-bearing action (send or edit) in a list.
const Action& message_of(const std::vector<Action>& actions) {
  for (const auto& a : actions)
    if (a.kind == Action::Kind::kSend || a.kind == Action::Kind::kEdit) return a;
  throw std::runtime_error("no message in actions");
}

// The data of the button whose text contains `label`.
std::string button(const Action& a, const std::string& label) {
  for (const auto& row : a.keyboard)
    for (const auto& b : row)
      if (b.text.find(label) != std::string::npos) return b.data;
  throw std::runtime_error("no button " + label + " in: " + a.text);
}

std::size_t count_buttons(const Action& a) {
  std::size_t n = 0;
  for (const auto& row : a.keyboard) n += row.size();
  return n;
}

bool has_kind(const std::vector<Action>& actions, Action::Kind kind) {
  for (const auto& a : actions)
    if (a.kind == kind) return true;
  return false;
}

TEST(Conversation, WholeRestoreFlow) {
  FakeBackend backend = make_backend();
  Conversation c(backend, settings());
  auto start = c.handle(text("/start"));
  const Action& choose = message_of(start);
  EXPECT_EQ(choose.kind, Action::Kind::kSend);
  EXPECT_EQ(choose.text, render(Language::kRu, Msg::kChooseDatabase));
  EXPECT_EQ(count_buttons(choose), 2u);  // "empty" has no backups: not offered

  auto list = c.handle(press(button(choose, "buh2_db")));
  EXPECT_EQ(list.front().kind, Action::Kind::kAnswerCallback);  // answered first
  const Action& page1 = message_of(list);
  EXPECT_EQ(page1.kind, Action::Kind::kEdit);
  EXPECT_EQ(page1.message_id, 42);
  // Newest first: 20.09.2024 04:00 Moscow is the first button.
  EXPECT_EQ(page1.keyboard[0][0].text, "20.09.2024 04:00 · 20 МБ");

  auto confirm = c.handle(press(button(page1, "19.09.2024 04:00")));
  const Action& question = message_of(confirm);
  EXPECT_EQ(question.text,
            "Восстановить buh2_db по состоянию на 19.09.2024 04:00 в базу buh2_db_archive?");
  auto go = c.handle(press(button(question, "Да")));
  ASSERT_TRUE(has_kind(go, Action::Kind::kStartJob));
  const Action* start_job = nullptr;
  for (const auto& a : go)
    if (a.kind == Action::Kind::kStartJob) start_job = &a;
  ASSERT_TRUE(start_job);
  EXPECT_FALSE(has_kind(go, Action::Kind::kSend));  // what to say depends on the queue
  // The queue runs it at once: the chat hears that it starts, in the message that will show progress.
  auto sent = c.job_submitted(start_job->job_id, 0);
  ASSERT_EQ(sent.size(), 1u);
  const Action* progress_msg = &sent[0];
  EXPECT_EQ(progress_msg->kind, Action::Kind::kSend);
  EXPECT_EQ(progress_msg->text, "Начинаю восстанавливать buh2_db по состоянию на 19.09.2024 04:00 в базу buh2_db_archive…");
  EXPECT_EQ(progress_msg->job_id, start_job->job_id);
  EXPECT_TRUE(c.job_started(start_job->job_id).empty());  // it said "starting" already
  EXPECT_EQ(start_job->job->db, "buh2_db");
  EXPECT_EQ(start_job->job->backup_id, "20240919T010000Z");
  EXPECT_EQ(start_job->job->target, "buh2_db_archive");
  EXPECT_TRUE(backend.restores.empty());  // the conversation never runs the job itself
  c.job_message_sent(start_job->job_id, 77);

  auto progress = c.job_progress(start_job->job_id, 50 << 20, 100 << 20);
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_EQ(progress[0].kind, Action::Kind::kEdit);
  EXPECT_EQ(progress[0].message_id, 77);
  EXPECT_NE(progress[0].text.find("50%"), std::string::npos) << progress[0].text;

  JobOutcome outcome = run_job(backend, *start_job->job, {});
  ASSERT_TRUE(outcome.ok);
  ASSERT_EQ(backend.restores.size(), 1u);
  auto done = c.job_finished(start_job->job_id, outcome);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].message_id, 77);
  EXPECT_EQ(done[0].text,
            "Готово: база buh2_db_archive содержит buh2_db по состоянию на 19.09.2024 04:00 (восстановлено за 1 мин 12 с).\n"
            "Проверено: таблиц — 2, строк — 1234, всё как в копии.");
  EXPECT_FALSE(c.running_job());

  // The Yes button is single-use: pressing it again restores nothing.
  auto again = c.handle(press(button(question, "Да")));
  EXPECT_FALSE(has_kind(again, Action::Kind::kStartJob));
  EXPECT_EQ(message_of(again).text, render(Language::kRu, Msg::kStaleButton));
}

TEST(Conversation, ConfirmationSaysWhenAnArchiveIsReplaced) {
  FakeBackend backend = make_backend();
  backend.archive_list.push_back({"buh2_db_archive", "buh2_db", "20240901T010000Z", "2024-09-02T00:00:00Z"});
  Conversation c(backend, settings(Language::kEn));
  auto page = message_of(c.handle(press(button(message_of(c.handle(text("/start"))), "buh2_db"))));
  auto question = message_of(c.handle(press(button(page, "2024-09-19 04:00"))));
  EXPECT_EQ(question.text,
            "Restore buh2_db as of 2024-09-19 04:00 into buh2_db_archive? The previous archive will be replaced.");
  auto no = c.handle(press(button(question, "No")));
  EXPECT_EQ(message_of(no).text, render(Language::kEn, Msg::kCancelled));
  EXPECT_FALSE(has_kind(no, Action::Kind::kStartJob));
}

TEST(Conversation, PagingEightPerPageNewestFirst) {
  FakeBackend backend = make_backend();
  Conversation c(backend, settings());
  auto choose = message_of(c.handle(text("/start")));
  auto p1 = message_of(c.handle(press(button(choose, "buh2_db"))));
  EXPECT_NE(p1.text.find("страница 1 из 3"), std::string::npos) << p1.text;
  ASSERT_EQ(p1.keyboard.size(), 9u);  // 8 backups + the navigation row
  EXPECT_EQ(p1.keyboard[8].size(), 1u);  // only "older" on the first page
  auto p2 = message_of(c.handle(press(button(p1, "›"))));
  EXPECT_NE(p2.text.find("страница 2 из 3"), std::string::npos);
  EXPECT_EQ(p2.keyboard[0][0].text.substr(0, 10), "12.09.2024");
  EXPECT_EQ(p2.keyboard[8].size(), 2u);  // both directions
  auto p3 = message_of(c.handle(press(button(p2, "›"))));
  EXPECT_EQ(p3.keyboard.size(), 5u);  // 4 backups + nav
  EXPECT_EQ(p3.keyboard[3][0].text.substr(0, 10), "01.09.2024");
  auto back = message_of(c.handle(press(button(p3, "‹"))));
  EXPECT_EQ(back.keyboard[0][0].text, p2.keyboard[0][0].text);
  // Every callback_data fits Telegram's 64-byte limit and names nothing.
  for (const auto& row : p2.keyboard)
    for (const auto& b : row) {
      EXPECT_LE(b.data.size(), 64u);
      EXPECT_EQ(b.data.find("buh2"), std::string::npos);
    }
}

TEST(Conversation, ForgedCallbackDataDoesNothingButAnErrorReply) {
  FakeBackend backend = make_backend();
  Conversation c(backend, settings());
  auto choose = message_of(c.handle(text("/start")));
  for (std::string forged : {std::string("restore:buh2_db:20240919T010000Z"), std::string("o1zz"), std::string(""),
                             std::string(200, 'x'), std::string("ё🦔")}) {
    int calls_before = backend.calls;
    auto out = c.handle(press(forged));
    EXPECT_EQ(out.front().kind, Action::Kind::kAnswerCallback);
    EXPECT_FALSE(has_kind(out, Action::Kind::kStartJob));
    EXPECT_EQ(message_of(out).text, render(Language::kRu, Msg::kUnknownButton));
    EXPECT_EQ(backend.calls, calls_before);  // the backend was not even asked
  }
  // A token offered in another chat is not valid here.
  std::string token = button(choose, "buh2_db");
  Conversation other(backend, [] {
    auto s = settings();
    s.admins.push_back(222);
    return s;
  }());
  auto in_other = other.handle(press(token, 5, 222));
  EXPECT_EQ(message_of(in_other).text, render(Language::kRu, Msg::kUnknownButton));
  auto c2 = Conversation(backend, [] {
    auto s = settings();
    s.admins.push_back(222);
    return s;
  }());
  auto offered_to_111 = message_of(c2.handle(text("/start")));
  auto pressed_by_222 = c2.handle(press(button(offered_to_111, "buh2_db"), 5, 222));
  EXPECT_EQ(message_of(pressed_by_222).text, render(Language::kRu, Msg::kUnknownButton));
  EXPECT_TRUE(backend.restores.empty());
}

TEST(Conversation, NonAdminsGetNoActionAndAreLoggedOnce) {
  FakeBackend backend = make_backend();
  Conversation c(backend, settings());
  auto admin_menu = message_of(c.handle(text("/start")));
  auto first = c.handle(text("/start", kStranger));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].kind, Action::Kind::kLog);
  EXPECT_NE(first[0].text.find("999"), std::string::npos);
  EXPECT_NE(first[0].text.find("@user999"), std::string::npos);
  EXPECT_TRUE(c.handle(text("/backup buh2_db", kStranger)).empty());
  // A stranger pressing a real token of the admin's chat (even "from" the admin's chat).
  Incoming p = press(button(admin_menu, "buh2_db"), 42, kStranger);
  p.chat_id = kChat;
  EXPECT_TRUE(c.handle(p).empty());  // not even answerCallbackQuery
  EXPECT_TRUE(backend.backed_up.empty());
  EXPECT_TRUE(backend.restores.empty());
}

TEST(Conversation, RequestsGoIntoTheSharedQueueAtOnceAndSayTheirPlaceInLine) {
  FakeBackend backend = make_backend();
  Conversation c(backend, settings(Language::kEn));
  auto restore_request = [&](const std::string& time) {
    auto choose = message_of(c.handle(text("/start")));
    auto page = message_of(c.handle(press(button(choose, "buh2_db"))));
    auto question = message_of(c.handle(press(button(page, time))));
    return c.handle(press(button(question, "Yes")));
  };
  auto start_of = [](const std::vector<Action>& actions) {
    for (const auto& a : actions)
      if (a.kind == Action::Kind::kStartJob) return a;
    ADD_FAILURE() << "no kStartJob";
    return Action{};
  };
  // Every request is handed to the queue at once, in the order asked.
  Action first = start_of(restore_request("2024-09-20 04:00"));
  Action second = start_of(restore_request("2024-09-19 04:00"));
  Action third = start_of(c.handle(text("/backup zup3")));
  EXPECT_EQ(c.running_job(), first.job_id);
  EXPECT_EQ(c.queued_jobs(), 3u);
  EXPECT_EQ(second.job->backup_id, "20240919T010000Z");
  EXPECT_EQ(third.job->kind, Job::Kind::kBackup);
  // The first runs; a job of the web console waits before the second.
  EXPECT_EQ(message_of(c.job_submitted(first.job_id, 0)).text,
            render(Language::kEn, Msg::kRestoreStarting,
                   {{"db", "buh2_db"}, {"time", "2024-09-20 04:00"}, {"target", "buh2_db_archive"}}));
  c.job_message_sent(first.job_id, 400);
  c.job_started(first.job_id);
  auto second_says = c.job_submitted(second.job_id, 2);
  EXPECT_EQ(message_of(second_says).text, render(Language::kEn, Msg::kQueued, {{"position", "2"}}));
  c.job_message_sent(second.job_id, 500);
  EXPECT_EQ(message_of(c.job_submitted(third.job_id, 3)).text, render(Language::kEn, Msg::kQueued, {{"position", "3"}}));
  c.job_message_sent(third.job_id, 600);
  EXPECT_TRUE(c.job_submitted(third.job_id, 3).empty());  // said once
  EXPECT_EQ(c.queued_jobs(), 2u);

  JobOutcome failed;
  failed.error = "checksum mismatch";
  auto after1 = c.job_finished(first.job_id, failed);
  ASSERT_EQ(after1.size(), 1u);
  EXPECT_EQ(after1[0].message_id, 400);
  EXPECT_NE(after1[0].text.find("Could not restore buh2_db as of 2024-09-20 04:00. Reason: checksum mismatch"),
            std::string::npos);
  EXPECT_FALSE(has_kind(after1, Action::Kind::kStartJob));  // the queue starts what is next
  // The web console's job starts: both move up.
  auto moved = c.job_waiting(second.job_id, 1);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].kind, Action::Kind::kEdit);
  EXPECT_EQ(moved[0].message_id, 500);
  EXPECT_EQ(moved[0].text, render(Language::kEn, Msg::kQueued, {{"position", "1"}}));
  EXPECT_TRUE(c.job_waiting(second.job_id, 1).empty());  // no edit that changes nothing
  EXPECT_EQ(message_of(c.job_waiting(third.job_id, 2)).message_id, 600);
  // The second starts: its message says so.
  auto started = c.job_started(second.job_id);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].message_id, 500);
  EXPECT_EQ(started[0].text, render(Language::kEn, Msg::kRestoreStarting,
                                    {{"db", "buh2_db"}, {"time", "2024-09-19 04:00"}, {"target", "buh2_db_archive"}}));
  EXPECT_TRUE(c.job_waiting(second.job_id, 1).empty());  // a running job waits no more
  auto after2 = c.job_finished(second.job_id, run_job(backend, *second.job, {}));
  EXPECT_EQ(after2[0].message_id, 500);
  c.job_waiting(third.job_id, 1);
  c.job_started(third.job_id);
  auto after3 = c.job_finished(third.job_id, run_job(backend, *third.job, {}));
  EXPECT_EQ(after3[0].message_id, 600);
  EXPECT_EQ(after3[0].text.rfind("Ready: a backup of zup3", 0), 0u) << after3[0].text;
  EXPECT_EQ(backend.backed_up, std::vector<std::string>{"zup3"});
  EXPECT_FALSE(c.running_job());
  EXPECT_TRUE(c.job_finished(third.job_id, failed).empty());  // ended once
}

TEST(Conversation, AJobThatStartedBeforeItsMessageWasSentSaysStarting) {
  FakeBackend backend = make_backend();
  Conversation c(backend, settings(Language::kEn));
  auto go = c.handle(text("/backup buh2_db"));
  ASSERT_TRUE(has_kind(go, Action::Kind::kStartJob));
  std::uint64_t job = *c.running_job();
  EXPECT_TRUE(c.job_started(job).empty());  // no message yet: nothing to edit
  // The place seen when it was handed in is already past.
  EXPECT_EQ(message_of(c.job_submitted(job, 1)).text, render(Language::kEn, Msg::kBackupStarting, {{"db", "buh2_db"}}));
  EXPECT_TRUE(c.job_message_sent(job, 70).empty());
  EXPECT_TRUE(c.job_waiting(job + 100, 1).empty());
  // Told "queued", then started before that message was sent: the sent message is corrected.
  c.handle(text("/backup zup3"));
  std::uint64_t second = job + 1;
  EXPECT_EQ(message_of(c.job_submitted(second, 1)).text, render(Language::kEn, Msg::kQueued, {{"position", "1"}}));
  EXPECT_TRUE(c.job_started(second).empty());
  auto corrected = c.job_message_sent(second, 71);
  ASSERT_EQ(corrected.size(), 1u);
  EXPECT_EQ(corrected[0].kind, Action::Kind::kEdit);
  EXPECT_EQ(corrected[0].message_id, 71);
  EXPECT_EQ(corrected[0].text, render(Language::kEn, Msg::kBackupStarting, {{"db", "zup3"}}));
}

TEST(Conversation, BackupOnlyOfConfiguredDatabases) {
  FakeBackend backend = make_backend();
  Conversation c(backend, settings(Language::kEn));
  auto refused = c.handle(text("/backup postgres"));
  EXPECT_FALSE(has_kind(refused, Action::Kind::kStartJob));
  EXPECT_EQ(message_of(refused).text,
            render(Language::kEn, Msg::kBackupNotConfigured, {{"db", "postgres"}, {"list", "buh2_db, zup3"}}));
  auto menu = message_of(c.handle(text("/backup")));
  EXPECT_EQ(count_buttons(menu), 2u);
  auto go = c.handle(press(button(menu, "zup3")));
  ASSERT_TRUE(has_kind(go, Action::Kind::kStartJob));
  // The menu's buttons are retired with the first press (no double backups).
  EXPECT_FALSE(has_kind(c.handle(press(button(menu, "buh2_db"))), Action::Kind::kStartJob));
}

TEST(Conversation, BackupLockHeldIsReportedPlainly) {
  FakeBackend backend = make_backend();
  Conversation c(backend, settings(Language::kEn));
  auto go = c.handle(text("/backup buh2_db"));
  JobOutcome busy;
  busy.busy = true;
  auto done = c.job_finished(*c.running_job(), busy);
  EXPECT_EQ(done[0].text, render(Language::kEn, Msg::kBackupBusy));
}

TEST(Conversation, ArchivesDropBehindConfirmation) {
  FakeBackend backend = make_backend();
  backend.archive_list.push_back({"buh2_db_archive", "buh2_db", "20240919T010000Z", "2024-09-20T00:00:00Z"});
  Conversation c(backend, settings(Language::kEn));
  auto list = message_of(c.handle(text("/archives")));
  EXPECT_NE(list.text.find("buh2_db_archive: buh2_db as of 2024-09-19 04:00"), std::string::npos) << list.text;
  auto confirm = message_of(c.handle(press(button(list, "Delete"))));
  EXPECT_TRUE(backend.dropped.empty());
  auto done = c.handle(press(button(confirm, "Yes, delete")));
  EXPECT_EQ(backend.dropped, std::vector<std::string>{"buh2_db_archive"});
  EXPECT_EQ(message_of(done).text, render(Language::kEn, Msg::kDropped, {{"name", "buh2_db_archive"}}));
  c.handle(press(button(confirm, "Yes, delete")));
  EXPECT_EQ(backend.dropped.size(), 1u);  // single use
}

TEST(Conversation, ListStatusHelpAndUnknownInput) {
  FakeBackend backend = make_backend();
  Conversation c(backend, settings(Language::kEn));
  auto list = message_of(c.handle(text("/list")));
  EXPECT_NE(list.text.find("buh2_db: 20 copies, newest 2024-09-20 04:00"), std::string::npos) << list.text;
  EXPECT_EQ(list.text.find("empty"), std::string::npos);
  auto status = message_of(c.handle(text("/status@BackupBuddyBot")));
  EXPECT_NE(status.text.find("buh2_db: 2024-09-19 04:00 — OK, 123 MB; not checked yet"), std::string::npos)
      << status.text;
  std::string help = render(Language::kEn, Msg::kHelp);
  EXPECT_EQ(message_of(c.handle(text("/help"))).text, help);
  EXPECT_EQ(message_of(c.handle(text("hello 🦔 Ёжик"))).text, help);
  EXPECT_EQ(message_of(c.handle(text(std::string(100000, 'a')))).text, help);
  EXPECT_EQ(message_of(c.handle(text("/nonsense"))).text, help);
  Incoming other;
  other.kind = Incoming::Kind::kOther;
  other.user_id = kAdmin;
  EXPECT_TRUE(c.handle(other).empty());
}

TEST(Conversation, ParsesCommandsWithTheirAddressee) {
  auto c = parse_command("  /Backup@MyBot  buh2_db ");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "/backup");
  EXPECT_EQ(c->addressee, "MyBot");
  EXPECT_EQ(c->args, "buh2_db");
  c = parse_command("/start");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "/start");
  EXPECT_EQ(c->addressee, "");
  EXPECT_EQ(c->args, "");
  EXPECT_FALSE(parse_command("hello /start"));
  EXPECT_FALSE(parse_command(""));

  EXPECT_TRUE(is_addressed_to(*parse_command("/start"), "OurBot"));
  EXPECT_TRUE(is_addressed_to(*parse_command("/start@OurBot"), "OurBot"));
  EXPECT_TRUE(is_addressed_to(*parse_command("/start@ourbot"), "OurBot"));  // usernames ignore case
  EXPECT_TRUE(is_addressed_to(*parse_command("/START@OURBOT x"), "OurBot"));
  EXPECT_FALSE(is_addressed_to(*parse_command("/start@OtherBot"), "OurBot"));
  EXPECT_FALSE(is_addressed_to(*parse_command("/start@OurBotX"), "OurBot"));
  EXPECT_FALSE(is_addressed_to(*parse_command("/start@OurBot"), ""));  // own name unknown: only bare ones
  EXPECT_TRUE(is_addressed_to(*parse_command("/start"), ""));
}

TEST(Conversation, CommandsForAnotherBotGetNoAnswer) {
  FakeBackend backend = make_backend();
  Conversation c(backend, settings(Language::kEn));
  for (const char* other : {"/start@OtherBot", "/backup@OtherBot buh2_db", "/help@OtherBot", "/archives@otherbot",
                            "/nonsense@OtherBot"})
    EXPECT_TRUE(c.handle(text(other)).empty()) << other;
  EXPECT_TRUE(backend.backed_up.empty());
  EXPECT_FALSE(c.running_job());
  EXPECT_EQ(message_of(c.handle(text("/start@backupbuddybot"))).text, render(Language::kEn, Msg::kChooseDatabase));
  EXPECT_EQ(message_of(c.handle(text("/start"))).text, render(Language::kEn, Msg::kChooseDatabase));
}

TEST(Conversation, NamesWithControlCharactersAreEscapedInMessagesAndButtons) {
  FakeBackend backend = make_backend();
  backend.stored["db\nline"].push_back({"20240919T010000Z", at("20240919T010000Z"), 1000});
  backend.configured.push_back("db\nline");
  backend.archive_list.push_back({"arch\nive", "db\nline", "20240919T010000Z", "2024-09-20T00:00:00Z"});
  Conversation c(backend, settings(Language::kEn));
  auto list = message_of(c.handle(text("/list")));
  EXPECT_NE(list.text.find("• \"db\\x0Aline\": 1 copies"), std::string::npos) << list.text;
  auto menu = message_of(c.handle(text("/start")));
  std::string token = button(menu, "\"db\\x0Aline\"");
  auto page = message_of(c.handle(press(token)));
  EXPECT_EQ(page.text.find("db\nline"), std::string::npos) << page.text;
  auto archives = message_of(c.handle(text("/archives")));
  EXPECT_NE(archives.text.find("\"arch\\x0Aive\": \"db\\x0Aline\" as of"), std::string::npos) << archives.text;
  EXPECT_NO_THROW(button(archives, "Delete \"arch\\x0Aive\""));
  auto backup_menu = message_of(c.handle(text("/backup")));
  EXPECT_NO_THROW(button(backup_menu, "\"db\\x0Aline\""));
  // Every message and button of the conversation is one line per item: no raw newline from a name.
  for (const Action* a : {&list, &menu, &page, &archives, &backup_menu}) {
    for (const auto& row : a->keyboard)
      for (const auto& b : row) EXPECT_EQ(b.text.find('\n'), std::string::npos) << b.text;
  }
}

TEST(Conversation, ArchivesOfOtherSourcesAreNotOffered) {
  FakeBackend backend = make_backend();
  backend.archive_list.push_back({"buh2_db_archive", "buh2_db", "20240919T010000Z", "2024-09-20T00:00:00Z", true});
  backend.archive_list.push_back({"theirs_archive", "theirs", "20240919T010000Z", "2024-09-20T00:00:00Z", false});
  Conversation c(backend, settings(Language::kEn));
  auto list = message_of(c.handle(text("/archives")));
  EXPECT_NE(list.text.find("buh2_db_archive"), std::string::npos) << list.text;
  EXPECT_EQ(list.text.find("theirs"), std::string::npos) << list.text;
  EXPECT_EQ(count_buttons(list), 1u);
  backend.archive_list.erase(backend.archive_list.begin());
  EXPECT_EQ(message_of(c.handle(text("/archives"))).text, render(Language::kEn, Msg::kArchivesNone));
}

TEST(Conversation, CancelQueuedTellsEveryWaitingChat) {
  FakeBackend backend = make_backend();
  Conversation c(backend, settings(Language::kEn));
  c.handle(text("/backup buh2_db"));
  c.job_started(*c.running_job());
  c.handle(text("/backup zup3"));
  auto out = c.cancel_queued();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].text, render(Language::kEn, Msg::kJobCancelled, {{"what", "backing up zup3"}}));
  EXPECT_EQ(c.queued_jobs(), 0u);
  EXPECT_TRUE(c.running_job());  // the running one ends by itself (cancelled by the same stop)
}

TEST(Messages, RussianAndEnglishTablesAreComplete) {
  std::regex placeholder(R"(\{([a-z]+)\})");
  for (int i = 0; i < static_cast<int>(Msg::kCount); ++i) {
    auto msg = static_cast<Msg>(i);
    std::string ru(message_template(Language::kRu, msg)), en(message_template(Language::kEn, msg));
    EXPECT_FALSE(ru.empty()) << "ru lacks message " << i;
    EXPECT_FALSE(en.empty()) << "en lacks message " << i;
    auto names = [&](const std::string& s) {
      std::set<std::string> out;
      for (auto it = std::sregex_iterator(s.begin(), s.end(), placeholder); it != std::sregex_iterator(); ++it)
        out.insert((*it)[1]);
      return out;
    };
    EXPECT_EQ(names(ru), names(en)) << "placeholders differ in message " << i;
  }
}

TEST(Messages, Formats) {
  auto moscow = resolve_zone("Europe/Moscow");
  EXPECT_EQ(format_bot_time(Language::kRu, at("20240919T010000Z"), moscow), "19.09.2024 04:00");
  EXPECT_EQ(format_bot_time(Language::kEn, at("20240919T010000Z"), moscow), "2024-09-19 04:00");
  EXPECT_EQ(format_bot_size(Language::kRu, 123ull << 20), "123 МБ");
  EXPECT_EQ(format_bot_size(Language::kRu, 1536ull << 20), "1,5 ГБ");
  EXPECT_EQ(format_bot_size(Language::kEn, 500), "500 B");
  EXPECT_EQ(format_bot_duration(Language::kRu, 72.4), "1 мин 12 с");
  EXPECT_EQ(format_bot_duration(Language::kEn, 5), "5 s");
  EXPECT_EQ(format_bot_duration(Language::kEn, 3725), "1 h 2 min");
}

TEST(Telegram, ParsesUpdatesAndSurvivesMalformedOnes) {
  using nlohmann::json;
  auto msg = parse_update(json::parse(R"({"update_id": 7, "message": {"message_id": 3, "from": {"id": 111,
      "first_name": "Анна", "username": "anna"}, "chat": {"id": -5, "type": "group"}, "text": "/start 🦔"}})"));
  EXPECT_EQ(msg.update_id, 7);
  EXPECT_EQ(msg.incoming.kind, Incoming::Kind::kText);
  EXPECT_EQ(msg.incoming.chat_id, -5);
  EXPECT_EQ(msg.incoming.username, "@anna");
  // The emulator's callback queries carry the client's message (maybe without message_id).
  auto cb = parse_update(json::parse(R"({"update_id": 8, "callback_query": {"id": "1", "from": {"id": 111},
      "message": {"chat": {"id": 111}}, "data": "o1"}})"));
  EXPECT_EQ(cb.incoming.kind, Incoming::Kind::kCallback);
  EXPECT_FALSE(cb.incoming.message_id);
  EXPECT_EQ(cb.incoming.chat_id, 111);
  for (const char* bad : {R"({"update_id": 9})", R"({"update_id": 10, "message": "x"})",
                          R"({"update_id": 11, "callback_query": {"from": "nobody"}})", R"([1,2])",
                          R"({"update_id": 12, "edited_message": {"text": "x"}})"}) {
    auto r = parse_update(json::parse(bad));
    EXPECT_EQ(r.incoming.kind, Incoming::Kind::kOther) << bad;
  }
  EXPECT_EQ(fit_message(std::string(5000, 'a')).size(), 4000u + std::string("…").size());
  std::string cyr;
  for (int i = 0; i < 4100; ++i) cyr += "ж";
  std::string cut = fit_message(cyr);
  EXPECT_EQ(cut.size(), 4000u * 2 + std::string("…").size());
}

TEST(Conversation, ARemedyIsWordedForTheBotNeverAsAFlag) {
  // The core's refusal carries a remedy; the command line would say "--into", the bot asks
  // the administrator in its user's language.
  for (Language lang : {Language::kRu, Language::kEn}) {
    FakeBackend backend = make_backend();
    backend.restore_error.emplace("refusing to restore into \"buh2_db_archive\": that database exists and was not "
                                  "created by BackupBuddy",
                                  Remedy::kChooseTargetName);
    ConversationSettings s = settings();
    s.language = lang;
    Conversation c(backend, s);
    Job job;
    job.id = 1;
    job.kind = Job::Kind::kRestore;
    job.db = "buh2_db";
    job.backup_id = "20240919T010000Z";
    JobOutcome outcome = run_job(backend, job, {});
    ASSERT_FALSE(outcome.ok);
    EXPECT_EQ(outcome.remedy, Remedy::kChooseTargetName);
    std::string reason = c.reason(outcome);
    EXPECT_EQ(reason, outcome.error + " — " + remedy_text(lang, Remedy::kChooseTargetName));
    EXPECT_EQ(reason.find("--"), std::string::npos) << reason;
    EXPECT_NE(reason.find(lang == Language::kRu ? "администратора" : "administrator"), std::string::npos) << reason;
  }
}

TEST(Remedies, EveryRemedyIsWordedByTheBotInBothLanguagesWithoutFlags) {
  for (Remedy r : {Remedy::kChooseTargetName, Remedy::kShorterTargetName, Remedy::kRestoreWithoutDisk,
                   Remedy::kRestoreWithoutOwners, Remedy::kSeeBackups, Remedy::kSeeArchives,
                   Remedy::kIncludeOtherArchives, Remedy::kNameDatabases})
    for (Language lang : {Language::kRu, Language::kEn}) {
      std::string text = remedy_text(lang, r);
      EXPECT_FALSE(text.empty()) << static_cast<int>(r);
      EXPECT_EQ(text.find("--"), std::string::npos) << text;
    }
  EXPECT_EQ(remedy_text(Language::kEn, Remedy::kNone), "");
}

}  // namespace
}  // namespace bb::bot
