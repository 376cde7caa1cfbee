// Conversation: the bot's pure state machine (see conversation.h).
#include "bot/conversation.h"

#include <algorithm>

#include "catalog/keys.h"
#include "util/error.h"
#include "util/format.h"

namespace bb::bot {
namespace {

std::string trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  std::size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string lower_ascii(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string to_token(std::uint64_t n) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string s;
  do {
    s.insert(s.begin(), kDigits[n % 36]);
    n /= 36;
  } while (n > 0);
  return "o" + s;
}

}  // namespace

std::optional<Command> parse_command(const std::string& text) {
  std::string t = trim(text);
  if (t.empty() || t[0] != '/') return std::nullopt;
  std::size_t space = t.find_first_of(" \t\n");
  Command c;
  c.name = t.substr(0, space);
  c.args = space == std::string::npos ? "" : trim(t.substr(space));
  if (auto at = c.name.find('@'); at != std::string::npos) {
    c.addressee = c.name.substr(at + 1);
    c.name.resize(at);
  }
  c.name = lower_ascii(c.name);
  return c;
}

bool is_addressed_to(const Command& command, const std::string& our_username) {
  if (command.addressee.empty()) return true;
  return !our_username.empty() && lower_ascii(command.addressee) == lower_ascii(our_username);
}

Conversation::Conversation(BotBackend& backend, ConversationSettings settings)
    : backend_(backend), settings_(std::move(settings)) {
  if (settings_.page_size == 0) settings_.page_size = 8;
}

bool Conversation::is_admin(std::int64_t user) const {
  return std::find(settings_.admins.begin(), settings_.admins.end(), user) != settings_.admins.end();
}

std::string Conversation::t(Msg msg, std::initializer_list<std::pair<std::string_view, std::string>> values) const {
  return render(settings_.language, msg, values);
}

std::string Conversation::when(TimePoint time) const {
  return format_bot_time(settings_.language, time, settings_.zone ? settings_.zone : resolve_zone("UTC"));
}

std::string Conversation::rows_checked(const RowCheck& check) const {
  if (!check.checked) return t(Msg::kRestoreRowsNotChecked);
  return t(Msg::kRestoreRowsChecked, {{"tables", std::to_string(check.tables)}, {"rows", std::to_string(check.rows)}});
}

std::string Conversation::offer(std::int64_t chat, Offer o) {
  ChatState& st = chats_[chat];
  std::string token = to_token(next_token_++);
  st.offers.emplace(token, std::move(o));
  st.order.push_back(token);
  while (st.order.size() > settings_.max_offers_per_chat) {
    st.offers.erase(st.order.front());
    st.order.pop_front();
  }
  return token;
}

void Conversation::retire_group(std::int64_t chat, std::uint64_t group) {
  if (group == 0) return;
  ChatState& st = chats_[chat];
  for (auto it = st.offers.begin(); it != st.offers.end();) {
    if (it->second.group == group) {
      st.used.insert(it->first);
      it = st.offers.erase(it);
    } else {
      ++it;
    }
  }
}

void Conversation::reply(const Incoming& u, std::string text, Keyboard keyboard, std::vector<Action>& out,
                         bool edit) const {
  Action a;
  a.chat_id = u.chat_id;
  a.text = std::move(text);
  a.keyboard = std::move(keyboard);
  if (edit && u.message_id) {
    a.kind = Action::Kind::kEdit;
    a.message_id = *u.message_id;
  } else {
    a.kind = Action::Kind::kSend;
  }
  out.push_back(std::move(a));
}

std::vector<Action> Conversation::handle(const Incoming& u) {
  std::vector<Action> out;
  if (u.kind == Incoming::Kind::kOther) return out;
  if (!is_admin(u.user_id)) {
    if (denied_logged_.insert(u.user_id).second) {
      Action a;
      a.kind = Action::Kind::kLog;
      a.text = "telegram: ignoring user id " + std::to_string(u.user_id) +
               (u.username.empty() ? "" : " (" + u.username + ")") +
               ": not in [telegram] admins (their messages and buttons get no answer; logged once)";
      out.push_back(std::move(a));
    }
    return out;
  }
  try {
    return u.kind == Incoming::Kind::kText ? on_text(u) : on_callback(u);
  } catch (const CancelledError&) {
    throw;
  } catch (const std::exception& e) {
    // A callback was already answered in on_callback's actions; they are lost with the
    // throw, so answer here again (harmless if duplicate).
    if (u.kind == Incoming::Kind::kCallback) {
      Action a;
      a.kind = Action::Kind::kAnswerCallback;
      a.callback_id = u.callback_id;
      out.push_back(std::move(a));
    }
    reply(u, t(Msg::kError, {{"reason", error_reason(settings_.language, e)}}), {}, out, false);
    return out;
  }
}

std::vector<Action> Conversation::on_text(const Incoming& u) {
  std::vector<Action> out;
  std::optional<Command> command = parse_command(u.text);
  // In a group with several bots, "/start@OtherBot" is another bot's business.
  if (command && !is_addressed_to(*command, settings_.bot_username)) return out;
  const std::string cmd = command ? command->name : "";
  const std::string args = command ? command->args : trim(u.text);
  if (cmd == "/start") {
    show_databases(u, out, false);
  } else if (cmd == "/list") {
    show_list(u, out);
  } else if (cmd == "/status") {
    show_status(u, out);
  } else if (cmd == "/archives") {
    show_archives(u, out);
  } else if (cmd == "/backup") {
    if (!args.empty()) {
      request_backup(u, args, out);
    } else {
      std::vector<std::string> dbs = backend_.configured_databases();
      if (dbs.empty()) {
        reply(u, t(Msg::kNoConfiguredDatabases), {}, out, false);
      } else {
        std::uint64_t group = next_group_++;
        Keyboard kb;
        for (const auto& db : dbs) kb.push_back({{display_text(db), offer(u.chat_id, {.kind = Offer::Kind::kBackupDb, .db = db, .group = group})}});
        reply(u, t(Msg::kBackupChoose), std::move(kb), out, false);
      }
    }
  } else {
    reply(u, t(Msg::kHelp), {}, out, false);
  }
  return out;
}

std::vector<Action> Conversation::on_callback(const Incoming& u) {
  std::vector<Action> out;
  Action answer;
  answer.kind = Action::Kind::kAnswerCallback;
  answer.callback_id = u.callback_id;
  out.push_back(std::move(answer));

  ChatState& st = chats_[u.chat_id];
  auto it = st.offers.find(u.data);
  if (it == st.offers.end()) {
    bool used = st.used.count(u.data) > 0;
    if (!used) {
      Action log;
      log.kind = Action::Kind::kLog;
      log.text = "telegram: button data that was never offered in chat " + std::to_string(u.chat_id) + " (user " +
                 std::to_string(u.user_id) + "); ignored";
      out.push_back(std::move(log));
    }
    reply(u, t(used ? Msg::kStaleButton : Msg::kUnknownButton), {}, out, false);
    return out;
  }
  Offer o = it->second;
  switch (o.kind) {
    case Offer::Kind::kDatabase:
      show_backups(u, o.db, 0, out, true);
      break;
    case Offer::Kind::kPage:
      show_backups(u, o.db, o.page, out, true);
      break;
    case Offer::Kind::kBackup:
      show_confirm_restore(u, o, out);
      break;
    case Offer::Kind::kConfirmRestore: {
      retire_group(u.chat_id, o.group);
      Job job;
      job.kind = Job::Kind::kRestore;
      job.db = o.db;
      job.backup_id = o.backup_id;
      job.backup_time = o.time;
      job.target = o.archive;
      job.chat_id = u.chat_id;
      job.user_id = u.user_id;
      enqueue(std::move(job), out);
      break;
    }
    case Offer::Kind::kCancel:
      retire_group(u.chat_id, o.group);
      reply(u, t(Msg::kCancelled), {}, out, true);
      break;
    case Offer::Kind::kDropArchive: {
      std::uint64_t group = next_group_++;
      std::string time_text = o.backup_id;
      if (auto tp = parse_backup_id(o.backup_id)) time_text = when(*tp);
      Keyboard kb{{{t(Msg::kYesDrop), offer(u.chat_id, {.kind = Offer::Kind::kConfirmDrop, .db = o.db, .backup_id = o.backup_id, .archive = o.archive, .group = group})},
                   {t(Msg::kNo), offer(u.chat_id, {.kind = Offer::Kind::kCancel, .group = group})}}};
      reply(u, t(Msg::kConfirmDrop, {{"name", o.archive}, {"db", o.db}, {"time", time_text}}), std::move(kb), out,
            false);
      break;
    }
    case Offer::Kind::kConfirmDrop:
      retire_group(u.chat_id, o.group);
      try {
        backend_.drop_archive(o.archive);
        reply(u, t(Msg::kDropped, {{"name", o.archive}}), {}, out, true);
      } catch (const CancelledError&) {
        throw;
      } catch (const std::exception& e) {
        reply(u, t(Msg::kDropFailed, {{"name", o.archive}, {"reason", error_reason(settings_.language, e)}}), {}, out,
              true);
      }
      break;
    case Offer::Kind::kBackupDb:
      retire_group(u.chat_id, o.group);
      request_backup(u, o.db, out);
      break;
  }
  return out;
}

void Conversation::show_databases(const Incoming& u, std::vector<Action>& out, bool edit) {
  std::vector<BotDatabase> dbs = backend_.databases();
  Keyboard kb;
  for (const auto& d : dbs)
    if (d.backups > 0) kb.push_back({{display_text(d.name), offer(u.chat_id, {.kind = Offer::Kind::kDatabase, .db = d.name})}});
  if (kb.empty())
    reply(u, t(Msg::kNoDatabases), {}, out, edit);
  else
    reply(u, t(Msg::kChooseDatabase), std::move(kb), out, edit);
}

void Conversation::show_backups(const Incoming& u, const std::string& db, std::size_t page, std::vector<Action>& out,
                                bool edit) {
  std::vector<BotBackup> backups = backend_.backups(db);
  if (backups.empty()) {
    reply(u, t(Msg::kNoBackupsOf, {{"db", db}}), {}, out, edit);
    return;
  }
  std::stable_sort(backups.begin(), backups.end(), [](const BotBackup& a, const BotBackup& b) { return a.time > b.time; });
  std::size_t per = settings_.page_size;
  std::size_t pages = (backups.size() + per - 1) / per;
  page = std::min(page, pages - 1);
  Keyboard kb;
  for (std::size_t i = page * per; i < std::min(backups.size(), (page + 1) * per); ++i) {
    const BotBackup& b = backups[i];
    std::string label =
        t(Msg::kBackupButton, {{"time", when(b.time)}, {"size", format_bot_size(settings_.language, b.stored_bytes)}});
    kb.push_back({{label, offer(u.chat_id, {.kind = Offer::Kind::kBackup, .db = db, .backup_id = b.id, .time = b.time})}});
  }
  std::vector<Button> nav;
  if (page > 0) nav.push_back({t(Msg::kPrevPage), offer(u.chat_id, {.kind = Offer::Kind::kPage, .db = db, .page = page - 1})});
  if (page + 1 < pages)
    nav.push_back({t(Msg::kNextPage), offer(u.chat_id, {.kind = Offer::Kind::kPage, .db = db, .page = page + 1})});
  if (!nav.empty()) kb.push_back(std::move(nav));
  reply(u,
        t(Msg::kChooseBackup, {{"db", db}, {"page", std::to_string(page + 1)}, {"pages", std::to_string(pages)}}),
        std::move(kb), out, edit);
}

void Conversation::show_confirm_restore(const Incoming& u, const Offer& o, std::vector<Action>& out) {
  std::string target = backend_.restore_target(o.db);
  bool replaces = true;
  try {
    std::vector<BotArchive> archives = backend_.archives();
    replaces = std::any_of(archives.begin(), archives.end(), [&](const BotArchive& a) { return a.name == target; });
  } catch (const CancelledError&) {
    throw;
  } catch (const std::exception&) {
    replaces = true;  // cannot tell: warn rather than surprise
  }
  std::uint64_t group = next_group_++;
  Offer yes{.kind = Offer::Kind::kConfirmRestore, .db = o.db, .backup_id = o.backup_id, .time = o.time, .archive = target, .group = group};
  Keyboard kb{{{t(Msg::kYesRestore), offer(u.chat_id, yes)},
               {t(Msg::kNo), offer(u.chat_id, {.kind = Offer::Kind::kCancel, .group = group})}}};
  reply(u,
        t(replaces ? Msg::kConfirmRestoreReplace : Msg::kConfirmRestoreNew,
          {{"db", o.db}, {"time", when(o.time)}, {"target", target}}),
        std::move(kb), out, true);
}

void Conversation::show_list(const Incoming& u, std::vector<Action>& out) {
  std::vector<BotDatabase> dbs = backend_.databases();
  std::string text;
  for (const auto& d : dbs) {
    if (d.backups == 0) continue;
    text += "\n" + t(Msg::kListLine, {{"db", d.name},
                                      {"count", std::to_string(d.backups)},
                                      {"time", d.newest ? when(*d.newest) : std::string("-")}});
  }
  reply(u, text.empty() ? t(Msg::kNoDatabases) : t(Msg::kListHeader) + text, {}, out, false);
}

void Conversation::show_status(const Incoming& u, std::vector<Action>& out) {
  std::map<std::string, DatabaseState> states = backend_.status();
  auto time_of = [&](const std::optional<TimePoint>& t) { return t ? when(*t) : std::string("-"); };
  std::string text;
  for (const auto& [db, s] : states) {
    std::string backup = !s.backup_at ? t(Msg::kStatusNever)
                         : s.backup_ok
                             ? t(Msg::kStatusOk, {{"time", time_of(s.backup_at)},
                                                  {"size", format_bot_size(settings_.language, s.stored_bytes)}})
                             : t(Msg::kStatusFailed, {{"time", time_of(s.backup_at)}, {"reason", s.backup_error}});
    std::string verify = !s.verified_at ? t(Msg::kStatusNotVerified)
                         : s.verify_ok ? t(Msg::kStatusVerifiedOk, {{"time", time_of(s.verified_at)}})
                                       : t(Msg::kStatusVerifiedFailed,
                                           {{"time", time_of(s.verified_at)}, {"reason", s.verify_error}});
    text += "\n" + t(Msg::kStatusLine, {{"db", db}, {"backup", backup}, {"verify", verify}});
  }
  reply(u, text.empty() ? t(Msg::kStatusEmpty) : t(Msg::kStatusHeader) + text, {}, out, false);
}

void Conversation::show_archives(const Incoming& u, std::vector<Action>& out) {
  std::vector<BotArchive> archives = backend_.archives();
  // Only archives of the configured databases: another config's are not this bot's to drop.
  std::erase_if(archives, [](const BotArchive& a) { return !a.configured_source; });
  if (archives.empty()) {
    reply(u, t(Msg::kArchivesNone), {}, out, false);
    return;
  }
  std::string text = t(Msg::kArchivesHeader);
  Keyboard kb;
  for (const auto& a : archives) {
    std::string time_text = a.backup_id;
    if (auto tp = parse_backup_id(a.backup_id)) time_text = when(*tp);
    text += "\n" + t(Msg::kArchiveLine, {{"name", a.name}, {"db", a.source}, {"time", time_text}});
    kb.push_back({{t(Msg::kDropButton, {{"name", a.name}}),
                   offer(u.chat_id, {.kind = Offer::Kind::kDropArchive, .db = a.source, .backup_id = a.backup_id, .archive = a.name})}});
  }
  reply(u, std::move(text), std::move(kb), out, false);
}

void Conversation::request_backup(const Incoming& u, const std::string& db, std::vector<Action>& out) {
  std::vector<std::string> dbs = backend_.configured_databases();
  if (std::find(dbs.begin(), dbs.end(), db) == dbs.end()) {
    if (dbs.empty()) {
      reply(u, t(Msg::kNoConfiguredDatabases), {}, out, false);
      return;
    }
    std::string list;
    for (const auto& d : dbs) list += (list.empty() ? "" : ", ") + display_text(d);
    reply(u, t(Msg::kBackupNotConfigured, {{"db", db}, {"list", list}}), {}, out, false);
    return;
  }
  Job job;
  job.kind = Job::Kind::kBackup;
  job.db = db;
  job.chat_id = u.chat_id;
  job.user_id = u.user_id;
  enqueue(std::move(job), out);
}

std::string Conversation::starting_text(const Job& job) const {
  if (job.kind == Job::Kind::kRestore)
    return t(Msg::kRestoreStarting, {{"db", job.db}, {"time", when(job.backup_time)}, {"target", job.target}});
  return t(Msg::kBackupStarting, {{"db", job.db}});
}

std::string Conversation::job_what(const Job& job) const {
  if (job.kind == Job::Kind::kRestore) return t(Msg::kJobRestoreWhat, {{"db", job.db}, {"time", when(job.backup_time)}});
  return t(Msg::kJobBackupWhat, {{"db", job.db}});
}

void Conversation::enqueue(Job job, std::vector<Action>& out) {
  job.id = next_job_++;
  jobs_.push_back(ActiveJob{job, std::nullopt});
  Action start;
  start.kind = Action::Kind::kStartJob;
  start.job_id = job.id;
  start.job = std::move(job);
  out.push_back(std::move(start));
}

Conversation::ActiveJob* Conversation::find_job(std::uint64_t job_id) {
  for (auto& j : jobs_)
    if (j.job.id == job_id) return &j;
  return nullptr;
}

void Conversation::say_about(const ActiveJob& job, std::string text, std::vector<Action>& out) const {
  Action a;
  a.chat_id = job.job.chat_id;
  a.text = std::move(text);
  if (job.message_id) {
    a.kind = Action::Kind::kEdit;
    a.message_id = *job.message_id;
  } else {
    a.kind = Action::Kind::kSend;
    a.job_id = job.job.id;
  }
  out.push_back(std::move(a));
}

std::vector<Action> Conversation::job_message_sent(std::uint64_t job_id, std::int64_t message_id) {
  std::vector<Action> out;
  ActiveJob* j = find_job(job_id);
  if (!j) return out;
  j->message_id = message_id;
  if (j->started && j->waiting_at > 0) {  // it said "queued", but the job started meanwhile
    j->waiting_at = 0;
    say_about(*j, starting_text(j->job), out);
  }
  return out;
}

std::vector<Action> Conversation::job_submitted(std::uint64_t job_id, std::size_t position) {
  std::vector<Action> out;
  ActiveJob* j = find_job(job_id);
  if (!j || j->message_id) return out;
  if (j->started || position == 0) {
    say_about(*j, starting_text(j->job), out);
  } else {
    j->waiting_at = position;
    say_about(*j, t(Msg::kQueued, {{"position", std::to_string(position)}}), out);
  }
  return out;
}

std::vector<Action> Conversation::job_waiting(std::uint64_t job_id, std::size_t position) {
  std::vector<Action> out;
  ActiveJob* j = find_job(job_id);
  if (!j || j->started || !j->message_id || position == 0 || position == j->waiting_at) return out;
  j->waiting_at = position;
  say_about(*j, t(Msg::kQueued, {{"position", std::to_string(position)}}), out);
  return out;
}

std::vector<Action> Conversation::job_started(std::uint64_t job_id) {
  std::vector<Action> out;
  ActiveJob* j = find_job(job_id);
  if (!j || j->started) return out;
  j->started = true;
  if (j->waiting_at == 0 || !j->message_id) return out;  // no message yet: job_message_sent() says it
  j->waiting_at = 0;
  say_about(*j, starting_text(j->job), out);
  return out;
}

std::optional<std::uint64_t> Conversation::running_job() const {
  if (jobs_.empty()) return std::nullopt;
  return jobs_.front().job.id;
}

std::size_t Conversation::queued_jobs() const {
  return static_cast<std::size_t>(std::count_if(jobs_.begin(), jobs_.end(), [](const ActiveJob& j) { return !j.started; }));
}

std::vector<Action> Conversation::job_progress(std::uint64_t job_id, std::uint64_t done, std::uint64_t total) {
  std::vector<Action> out;
  ActiveJob* running = find_job(job_id);
  if (!running || !running->message_id) return out;
  const Job& job = running->job;
  std::string done_text = format_bot_size(settings_.language, done);
  std::string text;
  if (total > 0) {
    std::uint64_t percent = std::min<std::uint64_t>(99, done * 100 / total);
    std::string total_text = format_bot_size(settings_.language, total);
    text = job.kind == Job::Kind::kRestore
               ? t(Msg::kRestoreProgress, {{"db", job.db}, {"time", when(job.backup_time)}, {"target", job.target},
                                           {"done", done_text}, {"total", total_text}, {"percent", std::to_string(percent)}})
               : t(Msg::kBackupProgress,
                   {{"db", job.db}, {"done", done_text}, {"total", total_text}, {"percent", std::to_string(percent)}});
  } else {
    text = job.kind == Job::Kind::kRestore
               ? t(Msg::kRestoreProgressUnknownTotal,
                   {{"db", job.db}, {"time", when(job.backup_time)}, {"target", job.target}, {"done", done_text}})
               : t(Msg::kBackupProgressUnknownTotal, {{"db", job.db}, {"done", done_text}});
  }
  Action a;
  a.kind = Action::Kind::kEdit;
  a.chat_id = job.chat_id;
  a.message_id = *running->message_id;
  a.text = std::move(text);
  out.push_back(std::move(a));
  return out;
}

std::string Conversation::reason(const JobOutcome& outcome) const {
  std::string remedy = remedy_text(settings_.language, outcome.remedy);
  return remedy.empty() ? outcome.error : outcome.error + " — " + remedy;
}

std::vector<Action> Conversation::job_finished(std::uint64_t job_id, const JobOutcome& outcome) {
  std::vector<Action> out;
  auto it = std::find_if(jobs_.begin(), jobs_.end(), [&](const ActiveJob& j) { return j.job.id == job_id; });
  if (it == jobs_.end()) return out;
  const Job& job = it->job;
  std::string text;
  if (outcome.cancelled) {
    text = t(Msg::kJobCancelled, {{"what", job_what(job)}});
  } else if (job.kind == Job::Kind::kRestore) {
    text = outcome.ok ? t(Msg::kRestoreDone, {{"target", outcome.restore.database},
                                              {"db", job.db},
                                              {"time", when(job.backup_time)},
                                              {"duration", format_bot_duration(settings_.language, outcome.restore.seconds)}}) +
                              "\n" + rows_checked(outcome.restore.row_check)
                      : t(Msg::kRestoreFailed, {{"db", job.db}, {"time", when(job.backup_time)}, {"reason", reason(outcome)}});
  } else if (outcome.busy) {
    text = t(Msg::kBackupBusy);
  } else if (outcome.ok) {
    auto tp = parse_backup_id(outcome.backup.id);
    text = t(Msg::kBackupDone, {{"db", job.db},
                                {"time", tp ? when(*tp) : outcome.backup.id},
                                {"size", format_bot_size(settings_.language, outcome.backup.stored_bytes)},
                                {"duration", format_bot_duration(settings_.language, outcome.backup.seconds)}});
  } else {
    text = t(Msg::kBackupFailed, {{"db", job.db}, {"reason", reason(outcome)}});
  }
  say_about(*it, std::move(text), out);
  jobs_.erase(it);
  return out;
}

std::vector<Action> Conversation::cancel_queued() {
  std::vector<Action> out;
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->started) {
      ++it;
      continue;
    }
    say_about(*it, t(Msg::kJobCancelled, {{"what", job_what(it->job)}}), out);
    it = jobs_.erase(it);
  }
  return out;
}

JobOutcome run_job(BotBackend& backend, const Job& job, const ProgressCallback& progress) {
  JobOutcome o;
  try {
    if (job.kind == Job::Kind::kRestore) {
      o.restore = backend.restore(job.db, job.backup_id, progress);
      o.ok = true;
    } else {
      o.backup = backend.backup(job.db, progress);
      o.ok = o.backup.ok;
      if (!o.ok) o.error = o.backup.error;
    }
  } catch (const CancelledError&) {
    o.cancelled = true;
  } catch (const LockHeldError& e) {
    o.busy = true;
    o.error = e.what();
  } catch (const Error& e) {
    o.error = e.what();
    o.remedy = e.remedy();
  } catch (const std::exception& e) {
    o.error = e.what();
  }
  return o;
}

}  // namespace bb::bot
