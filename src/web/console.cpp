// The web console over cpp-httplib (Debian's libcpp-httplib-dev): routes, authentication,
// sessions, login throttling, CSRF tokens, security headers, and the pages.
#include "web/console.h"

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "catalog/retention.h"
#include "crypto/password.h"
#include "notify/metrics.h"
#include "notify/notifier.h"
#include "ops/archives.h"
#include "ops/backup.h"
#include "ops/json.h"
#include "ops/list.h"
#include "ops/restore.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"
#include "util/signals.h"
#include "util/time.h"
#include "web/assets.h"
#include "web/html.h"
#include "ops/jobs.h"
#include "web/texts.h"

namespace bb::web {
namespace {

using ojson = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

constexpr const char* kCookieName = "bb_session";
constexpr int kFreeFailures = 5;                                    // wrong passwords before a pause
constexpr std::chrono::seconds kFirstPause{30};                    // doubles with each further failure
constexpr std::chrono::seconds kLongestPause{15 * 60};
constexpr std::chrono::seconds kFailureMemory{15 * 60};            // failures older than this are forgotten
constexpr std::size_t kMaxBodyBytes = 64 * 1024;
constexpr const char* kJobIdPattern = "([0-9a-f]{32})";

// Who is asking, once authenticated.
struct Caller {
  const WebUser* user = nullptr;
  std::string session_id;  // empty: HTTP Basic
  std::string csrf;        // the session's CSRF token
  std::string address;
  bool operator_role() const { return user && user->role == WebRole::kOperator; }
};

bool same_secret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<std::string> unbase64(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > 4096) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t padding = (text.back() == '=') + (text[text.size() - 2] == '=');
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::string cookie_value(const httplib::Request& req, const std::string& name) {
  std::string header = req.get_header_value("Cookie");
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    part.erase(0, part.find_first_not_of(' '));
    if (part.size() > name.size() && part.compare(0, name.size(), name) == 0 && part[name.size()] == '=')
      return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}

// The HTTP status of an error of the core.
int status_of(const std::exception& e) {
  if (dynamic_cast<const NotFoundError*>(&e)) return 404;
  if (dynamic_cast<const LockHeldError*>(&e)) return 409;
  if (dynamic_cast<const ConfigError*>(&e)) return 400;
  return 500;
}

// A name as one URL path segment: every byte outside [A-Za-z0-9._~-] percent-encoded.
std::string path_segment(const std::string& name) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '~' || c == '-') out += static_cast<char>(c);
    else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string format_time(TimePoint t) {
  std::string iso = format_iso_utc(t);  // 2026-11-24T13:08:00Z
  if (iso.size() >= 16) return iso.substr(0, 10) + " " + iso.substr(11, 5);
  return iso;
}

class Console {
 public:
  Console(const Config& config, JobQueue& jobs) : config_(config), words_(texts_for(config.web.language)), jobs_(jobs) {}

  // Checks the TLS files and binds [web] listen (throws ConfigError / OperationError).
  void bind();
  // Serves until cancel_requested().
  void listen();

 private:
  // ---- responses ----
  void json(httplib::Response& res, int status, const ojson& body) {
    res.status = status;
    res.set_content(body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", "application/json");
  }
  void json_error(httplib::Response& res, int status, const std::string& kind, const std::string& message) {
    json(res, status, ojson{{"error", {{"status", status}, {"kind", kind}, {"message", log::mask_secrets(message)}}}});
  }
  void html(httplib::Response& res, int status, const Html& page) {
    res.status = status;
    res.set_content(page.str(), "text/html; charset=utf-8");
  }
  void redirect(httplib::Response& res, const std::string& to) {
    res.status = 303;
    res.set_header("Location", to);
  }

  // ---- authentication ----
  std::string failure_key(const std::string& address, const std::string& user) { return address + "\n" + user; }
  // Seconds until another try is allowed, or 0.
  long throttled_for(const std::string& address, const std::string& user);
  void record_failure(const std::string& address, const std::string& user);
  void forget_failures(const std::string& address, const std::string& user);
  // Checks a password for a user with throttling; on refusal fills res (401/429) via `refuse`.
  enum class Check { kOk, kWrong, kThrottled };
  Check check_password(const std::string& address, const std::string& name, const std::string& password,
                       long& retry_after);
  // The caller of an API request (Basic or cookie); fills res with 401/429 when none.
  std::optional<Caller> api_caller(const httplib::Request& req, httplib::Response& res);
  // The caller of a page (cookie only); nullopt when not signed in.
  std::optional<Caller> session_caller(const httplib::Request& req);
  // For state-changing requests: a cookie session must show its CSRF token (header
  // X-CSRF-Token or form field csrf); Basic needs none. Fills res with 403 when missing.
  bool csrf_ok(const Caller& caller, const httplib::Request& req, httplib::Response& res, bool api);
  bool require_operator(const Caller& caller, httplib::Response& res, const std::string& action, bool api);
  void audit(const Caller& caller, const std::string& action) {
    log::info("web: " + quote_name(caller.user->name) + " from " + caller.address + ": " + action);
  }

  // ---- pages ----
  Html layout(const std::string& title, const Html& body, const std::optional<Caller>& caller,
              bool job_script = false);
  Html login_page(const std::string& error);
  void dashboard(const Caller& caller, httplib::Response& res);
  void database_page(const Caller& caller, const std::string& db, httplib::Response& res);
  void job_page(const Caller& caller, const std::string& id, httplib::Response& res);

  // One database's backups. A name PostgreSQL cannot have (a NUL byte, from %00) has none;
  // the store is not asked.
  std::vector<BackupListing> backups_of(const std::string& db) {
    if (db.find('\0') != std::string::npos) return {};
    RunContext ctx(config_);
    return list_database(ctx, db);
  }

  // ---- jobs ----
  std::string submit_restore(const Caller& caller, RestoreRequest request);
  std::string submit_backup(const Caller& caller, const std::string& db);

  void routes(httplib::Server& server);

  const Config& config_;
  const Texts& words_;
  std::mutex mutex_;
  struct Session {
    std::string user;
    std::string csrf;
    Clock::time_point last_used;
  };
  std::map<std::string, Session> sessions_;
  struct Failures {
    int count = 0;
    Clock::time_point last;
  };
  std::map<std::string, Failures> failures_;
  JobQueue& jobs_;  // shared with the bot under `serve`
  std::unique_ptr<httplib::Server> server_;
};

// ---- authentication ------------------------------------------------------------------

long Console::throttled_for(const std::string& address, const std::string& user) {
  std::lock_guard lock(mutex_);
  auto it = failures_.find(failure_key(address, user));
  if (it == failures_.end() || it->second.count < kFreeFailures) return 0;
  auto pause = kFirstPause * (1 << std::min(it->second.count - kFreeFailures, 5));
  pause = std::min<std::chrono::seconds>(pause, kLongestPause);
  auto left = std::chrono::duration_cast<std::chrono::seconds>(it->second.last + pause - Clock::now()).count();
  return left > 0 ? left + 1 : 0;
}

void Console::record_failure(const std::string& address, const std::string& user) {
  std::lock_guard lock(mutex_);
  auto now = Clock::now();
  if (failures_.size() > 10000)  // forget old entries so a flood of names cannot grow memory forever
    std::erase_if(failures_, [&](const auto& f) { return now - f.second.last > kFailureMemory; });
  Failures& f = failures_[failure_key(address, user)];
  if (now - f.last > kFailureMemory) f.count = 0;
  ++f.count;
  f.last = now;
}

void Console::forget_failures(const std::string& address, const std::string& user) {
  std::lock_guard lock(mutex_);
  failures_.erase(failure_key(address, user));
}

Console::Check Console::check_password(const std::string& address, const std::string& name,
                                       const std::string& password, long& retry_after) {
  retry_after = throttled_for(address, name);
  if (retry_after > 0) {
    log::warn("web: sign-in for " + (config_.web.find_user(name) ? quote_name(name) : std::string("an unknown user")) +
              " from " + address + " refused for " + std::to_string(retry_after) + " s after repeated failures");
    return Check::kThrottled;
  }
  const WebUser* user = config_.web.find_user(name);
  // An unknown user costs the same scrypt as a known one (no timing oracle for names).
  static const std::string kDummy = hash_password("not a password");
  bool ok = verify_password(password, user ? user->password_hash : kDummy) && user;
  if (ok) {
    forget_failures(address, name);
    return Check::kOk;
  }
  record_failure(address, name);
  // Only configured names are logged: a password typed into the user field stays out of logs.
  log::warn("web: wrong password for " + (user ? quote_name(name) : std::string("an unknown user")) + " from " +
            address);
  return Check::kWrong;
}

std::optional<Caller> Console::session_caller(const httplib::Request& req) {
  std::string id = cookie_value(req, kCookieName);
  if (id.empty()) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  auto now = Clock::now();
  if (now - it->second.last_used > config_.web.session_idle) {
    sessions_.erase(it);
    return std::nullopt;
  }
  const WebUser* user = config_.web.find_user(it->second.user);
  if (!user) return std::nullopt;
  it->second.last_used = now;
  return Caller{user, id, it->second.csrf, req.remote_addr};
}

std::optional<Caller> Console::api_caller(const httplib::Request& req, httplib::Response& res) {
  std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Basic ", 0) == 0) {
    auto decoded = unbase64(auth.substr(6));
    std::size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon != std::string::npos) {
      std::string name = decoded->substr(0, colon);
      std::string password = decoded->substr(colon + 1);
      long retry_after = 0;
      Check check = check_password(req.remote_addr, name, password, retry_after);
      OPENSSL_cleanse(password.data(), password.size());
      OPENSSL_cleanse(decoded->data(), decoded->size());
      if (check == Check::kOk) return Caller{config_.web.find_user(name), "", "", req.remote_addr};
      if (check == Check::kThrottled) {
        res.set_header("Retry-After", std::to_string(retry_after));
        json_error(res, 429, "throttled", "too many wrong passwords; try again in " + std::to_string(retry_after) + " s");
        return std::nullopt;
      }
    }
    res.set_header("WWW-Authenticate", "Basic realm=\"BackupBuddy\", charset=\"UTF-8\"");
    json_error(res, 401, "unauthorized", "wrong user or password");
    return std::nullopt;
  }
  if (auto caller = session_caller(req)) return caller;
  res.set_header("WWW-Authenticate", "Basic realm=\"BackupBuddy\", charset=\"UTF-8\"");
  json_error(res, 401, "unauthorized",
             "sign in: HTTP Basic with a [[web.users]] name and password, or the session cookie of the login page");
  return std::nullopt;
}

bool Console::csrf_ok(const Caller& caller, const httplib::Request& req, httplib::Response& res, bool api) {
  if (caller.session_id.empty()) return true;  // HTTP Basic: no ambient cookie to abuse
  std::string token = req.get_header_value("X-CSRF-Token");
  if (token.empty() && req.has_param("csrf")) token = req.get_param_value("csrf");
  if (!token.empty() && same_secret(token, caller.csrf)) return true;
  log::warn("web: " + quote_name(caller.user->name) + " from " + caller.address + ": " + req.method + " " +
            display_text(req.path, 200) + " refused: no valid CSRF token");
  if (api)
    json_error(res, 403, "csrf", "a request with the session cookie must carry its CSRF token (X-CSRF-Token)");
  else
    html(res, 403, layout("403", Html("<p class=\"error\">"_html) << "CSRF token missing or wrong; reload the page."
                                     << "</p>"_html, std::nullopt));
  return false;
}

bool Console::require_operator(const Caller& caller, httplib::Response& res, const std::string& action, bool api) {
  if (caller.operator_role()) return true;
  log::warn("web: " + quote_name(caller.user->name) + " from " + caller.address + ": " + action +
            " refused: the viewer role may only look");
  if (api)
    json_error(res, 403, "forbidden", "user " + quote_name(caller.user->name) + " is a viewer; " + action +
                                          " needs role = \"operator\"");
  else
    html(res, 403, layout("403", Html("<p class=\"error\">"_html) << words_.viewer_note << "</p>"_html, caller));
  return false;
}

// ---- jobs ------------------------------------------------------------------------------

std::string Console::submit_restore(const Caller& caller, RestoreRequest request) {
  std::string what = "restore " + quote_name(request.source) +
                     (request.backup_id ? " backup " + display_text(*request.backup_id, 100) : "") +
                     (request.at ? " at " + display_text(*request.at, 100) : "") +
                     (request.into ? " into " + quote_name(*request.into) : "");
  const Config& config = config_;
  std::string id = jobs_.submit("restore", caller.user->name, request.source,
                                [&config, request](const ProgressCallback& progress) {
                                  RunContext ctx(config);
                                  return restore_json(restore_backup(ctx, request, progress));
                                });
  audit(caller, what + " (job " + id + ")");
  return id;
}

std::string Console::submit_backup(const Caller& caller, const std::string& db) {
  const Config& config = config_;
  std::string id = jobs_.submit("backup", caller.user->name, db, [&config, db](const ProgressCallback& progress) {
    if (!config.find_database(db)) {
      RunContext ctx(config);
      auto dbs = databases_to_back_up(config, ctx.session(), {}, false);
      if (std::find(dbs.begin(), dbs.end(), db) == dbs.end())
        throw OperationError(quote_name(db) + " is not a configured database", Remedy::kNameDatabases);
    }
    Notifiers notifiers(config);
    std::vector<BackupResult> results = run_backups(config, {db}, false, true, "backup (web console)", {}, progress,
                                                    [&] { notifiers.run_started(); });
    write_metrics_textfile(config);
    notifiers.run_finished(results);
    const BackupResult& r = results.at(0);
    if (!r.ok) throw OperationError(r.error);
    return backup_result_json(r);
  });
  audit(caller, "back up " + quote_name(db) + " (job " + id + ")");
  return id;
}

// ---- pages -----------------------------------------------------------------------------

Html Console::layout(const std::string& title, const Html& body, const std::optional<Caller>& caller,
                     bool job_script) {
  Html page;
  page << "<!DOCTYPE html><html lang=\""_html << words_.lang
       << "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"_html
       << "<title>"_html << title << " — BackupBuddy</title><link rel=\"stylesheet\" href=\"/static/console.css\">"_html;
  if (job_script) page << "<script src=\"/static/job.js\" defer></script>"_html;
  page << "</head><body><header><a href=\"/\">BackupBuddy</a>"_html;
  if (caller && caller->user) {
    page << "<form method=\"post\" action=\"/logout\"><span>"_html << caller->user->name << " ("_html
         << (caller->operator_role() ? "operator" : "viewer")
         << ") </span><input type=\"hidden\" name=\"csrf\" value=\""_html << caller->csrf
         << "\"><button class=\"secondary\" type=\"submit\">"_html << words_.sign_out << "</button></form>"_html;
  }
  page << "</header><main>"_html << body << "</main></body></html>"_html;
  return page;
}

Html Console::login_page(const std::string& error) {
  Html body;
  body << "<div class=\"card\"><h1>"_html << words_.login_heading << "</h1>"_html;
  if (!error.empty()) body << "<p class=\"error\" id=\"login-error\">"_html << error << "</p>"_html;
  body << "<form method=\"post\" action=\"/login\"><label for=\"name\">"_html << words_.user
       << "</label><input type=\"text\" id=\"name\" name=\"name\" autocomplete=\"username\" required>"_html
       << "<label for=\"password\">"_html << words_.password
       << "</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>"_html
       << "<p><button type=\"submit\" id=\"sign-in\">"_html << words_.sign_in << "</button></p></form></div>"_html;
  return layout(words_.login_heading, body, std::nullopt);
}

void Console::dashboard(const Caller& caller, httplib::Response& res) {
  RunContext ctx(config_);
  StoreOverview overview = list_overview(ctx);
  Html body;
  body << "<h1>"_html << words_.databases << "</h1>"_html;
  if (overview.databases.empty()) body << "<p>"_html << words_.no_databases << "</p>"_html;
  else {
    body << "<table class=\"responsive\" id=\"databases\"><thead><tr><th>"_html << words_.database << "</th><th>"_html
         << words_.last_backup << "</th><th>"_html << words_.result << "</th><th>"_html << words_.size << "</th><th>"_html
         << words_.backups << "</th></tr></thead><tbody>"_html;
    for (const auto& d : overview.databases) {
      bool known = d.state && d.state->backup_at;
      bool ok = known && d.state->backup_ok;
      std::string status = !known ? "unknown" : ok ? "ok" : "failed";
      std::string result = !known ? "-" : ok ? words_.ok : std::string(words_.failed) + ": " + d.state->backup_error;
      std::uint64_t size = d.newest.stored_bytes;
      body << "<tr class=\"status-row-"_html << status << "\"><td data-label=\""_html << words_.database
           << "\"><span class=\"status status-"_html << status << "\"></span><a class=\"db-link\" href=\"/databases/"_html
           << path_segment(d.name) << "\">"_html << d.name << "</a></td><td data-label=\""_html
           << words_.last_backup << "\">"_html << format_time(d.newest.time) << "</td><td data-label=\""_html
           << words_.result << "\">"_html << result << "</td><td data-label=\""_html << words_.size << "\">"_html
           << human_bytes(size) << "</td><td data-label=\""_html << words_.backups << "\">"_html << d.count
           << "</td></tr>"_html;
    }
    body << "</tbody></table>"_html;
  }
  html(res, 200, layout(words_.databases, body, caller));
}

void Console::database_page(const Caller& caller, const std::string& db, httplib::Response& res) {
  std::vector<BackupListing> rows = backups_of(db);
  Html body;
  body << "<p><a href=\"/\">← "_html << words_.back << "</a></p><h1 id=\"db-name\">"_html << db << "</h1>"_html;
  if (caller.operator_role()) {
    body << "<div class=\"card\"><form method=\"post\" action=\"/restore\" id=\"restore-form\">"_html
         << "<input type=\"hidden\" name=\"csrf\" value=\""_html << caller.csrf
         << "\"><input type=\"hidden\" name=\"database\" value=\""_html << db << "\"><label for=\"backup\">"_html
         << words_.backup_id << "</label><select id=\"backup\" name=\"backup\">"_html;
    for (const auto& r : rows)
      if (r.entry.distrust.empty())
        body << "<option value=\""_html << r.entry.id << "\">"_html << format_time(r.entry.time) << " ("_html
             << r.entry.id << ")</option>"_html;
    body << "</select><label for=\"into\">"_html << words_.restore_into
         << "</label><input type=\"text\" id=\"into\" name=\"into\"><p><button type=\"submit\" id=\"restore\">"_html
         << words_.restore << "</button></p></form><form method=\"post\" action=\"/backup\">"_html
         << "<input type=\"hidden\" name=\"csrf\" value=\""_html << caller.csrf
         << "\"><input type=\"hidden\" name=\"database\" value=\""_html << db
         << "\"><button class=\"secondary\" type=\"submit\" id=\"backup-now\">"_html << words_.back_up_now
         << "</button></form></div>"_html;
  } else {
    body << "<p class=\"note\">"_html << words_.viewer_note << "</p>"_html;
  }
  body << "<table class=\"responsive\" id=\"backups\"><thead><tr><th>"_html << words_.time << "</th><th>"_html
       << words_.backup_id << "</th><th>"_html << words_.size << "</th><th>"_html << words_.kept_by
       << "</th></tr></thead><tbody>"_html;
  for (const auto& r : rows) {
    std::string kept = !r.entry.distrust.empty() ? std::string(words_.not_trusted) + ": " + r.entry.distrust
                       : r.kept_by.empty()       ? std::string(words_.next_prune_deletes)
                                                 : describe_reasons(r.kept_by);
    body << "<tr><td data-label=\""_html << words_.time << "\">"_html << format_time(r.entry.time)
         << "</td><td data-label=\""_html << words_.backup_id << "\">"_html << r.entry.id << "</td><td data-label=\""_html
         << words_.size << "\">"_html << human_bytes(r.entry.stored_bytes) << "</td><td data-label=\""_html
         << words_.kept_by << "\">"_html << kept << "</td></tr>"_html;
  }
  body << "</tbody></table>"_html;
  html(res, 200, layout(db, body, caller));
}

void Console::job_page(const Caller& caller, const std::string& id, httplib::Response& res) {
  auto job = jobs_.describe(id);
  if (!job) {
    html(res, 404, layout("404", Html("<p class=\"error\">"_html) << "No such job." << "</p>"_html, caller));
    return;
  }
  ojson words{{"queued", words_.queued}, {"running", words_.running}, {"done", words_.done},
              {"failed", words_.job_failed}, {"position", words_.position}, {"archive", words_.archive}};
  std::string state = (*job)["state"];
  std::string state_text = state == "queued" ? words_.queued : state == "running" ? words_.running
                           : state == "done" ? words_.done : words_.job_failed;
  Html body;
  body << "<div id=\"job\" data-job=\""_html << id << "\" data-state=\""_html << state << "\" data-words=\""_html
       << words.dump() << "\"><h1>"_html << words_.job << ": "_html
       << ((*job)["kind"] == "restore" ? words_.restore : words_.back_up_now) << " — "_html
       << (*job)["database"].get<std::string>() << "</h1><p>"_html << words_.state << ": <strong id=\"job-state\">"_html
       << state_text << "</strong></p><p><progress id=\"job-progress\"></progress></p><p id=\"job-detail\"></p>"_html
       << "<p><a href=\"/databases/"_html << path_segment((*job)["database"].get<std::string>())
       << "\">"_html << words_.back << "</a></p></div>"_html;
  html(res, 200, layout(words_.job, body, caller, true));
}

// ---- routes ----------------------------------------------------------------------------

void Console::routes(httplib::Server& server) {
  // Runs a handler, turning the core's errors into JSON (API) or a page.
  auto guarded = [this](bool api, auto&& body) {
    return [this, api, body](const httplib::Request& req, httplib::Response& res) {
      try {
        body(req, res);
      } catch (const std::exception& e) {
        int status = status_of(e);
        std::string message = log::mask_secrets(error_text(e));
        log::warn("web: " + req.method + " " + display_text(req.path, 200) + " from " + req.remote_addr + ": " + message);
        if (api) json_error(res, status, status == 404 ? "not_found" : "failed", message);
        else html(res, status, layout("Error", Html("<p class=\"error\">"_html) << message << "</p>"_html, std::nullopt));
      }
    };
  };

  // Static files.
  server.Get("/static/console.css", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(kConsoleCss), "text/css; charset=utf-8");
  });
  server.Get("/static/job.js", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(kJobJs), "text/javascript; charset=utf-8");
  });

  // ---- pages ----
  server.Get("/login", guarded(false, [this](const httplib::Request& req, httplib::Response& res) {
    if (session_caller(req)) return redirect(res, "/");
    html(res, 200, login_page(""));
  }));
  server.Post("/login", guarded(false, [this](const httplib::Request& req, httplib::Response& res) {
    std::string name = req.get_param_value("name");
    std::string password = req.get_param_value("password");
    long retry_after = 0;
    Check check = check_password(req.remote_addr, name, password, retry_after);
    OPENSSL_cleanse(password.data(), password.size());
    if (check == Check::kThrottled) {
      res.set_header("Retry-After", std::to_string(retry_after));
      return html(res, 429, login_page(words_.throttled));
    }
    if (check == Check::kWrong) return html(res, 401, login_page(words_.bad_login));
    // A new session id at every sign-in; the old session (if any) ends.
    std::string old = cookie_value(req, kCookieName);
    std::string id = random_token();
    {
      std::lock_guard lock(mutex_);
      if (!old.empty()) sessions_.erase(old);
      auto now = Clock::now();
      std::erase_if(sessions_, [&](const auto& s) { return now - s.second.last_used > config_.web.session_idle; });
      sessions_[id] = Session{name, random_token(), now};
    }
    res.set_header("Set-Cookie", std::string(kCookieName) + "=" + id + "; Path=/; HttpOnly; SameSite=Strict" +
                                     (config_.web.tls() ? "; Secure" : ""));
    log::info("web: " + quote_name(name) + " from " + req.remote_addr + ": signed in");
    redirect(res, "/");
  }));
  server.Post("/logout", guarded(false, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = session_caller(req);
    if (!caller) return redirect(res, "/login");
    if (!csrf_ok(*caller, req, res, false)) return;
    {
      std::lock_guard lock(mutex_);
      sessions_.erase(caller->session_id);
    }
    res.set_header("Set-Cookie", std::string(kCookieName) + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" +
                                     (config_.web.tls() ? "; Secure" : ""));
    audit(*caller, "signed out");
    redirect(res, "/login");
  }));
  server.Get("/", guarded(false, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = session_caller(req);
    if (!caller) return redirect(res, "/login");
    dashboard(*caller, res);
  }));
  server.Get("/databases/(.+)", guarded(false, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = session_caller(req);
    if (!caller) return redirect(res, "/login");
    database_page(*caller, req.matches[1], res);
  }));
  server.Get(std::string("/jobs/") + kJobIdPattern, guarded(false, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = session_caller(req);
    if (!caller) return redirect(res, "/login");
    job_page(*caller, req.matches[1], res);
  }));
  server.Post("/restore", guarded(false, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = session_caller(req);
    if (!caller) return redirect(res, "/login");
    if (!csrf_ok(*caller, req, res, false) || !require_operator(*caller, res, "restore", false)) return;
    RestoreRequest request;
    request.source = req.get_param_value("database");
    if (std::string b = req.get_param_value("backup"); !b.empty()) request.backup_id = b;
    if (std::string into = req.get_param_value("into"); !into.empty()) request.into = into;
    if (request.source.empty()) throw ConfigError("restore: no database given");
    redirect(res, "/jobs/" + submit_restore(*caller, request));
  }));
  server.Post("/backup", guarded(false, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = session_caller(req);
    if (!caller) return redirect(res, "/login");
    if (!csrf_ok(*caller, req, res, false) || !require_operator(*caller, res, "back up", false)) return;
    std::string db = req.get_param_value("database");
    if (db.empty()) throw ConfigError("backup: no database given");
    redirect(res, "/jobs/" + submit_backup(*caller, db));
  }));

  // ---- API ----
  server.Get("/api/v1/databases", guarded(true, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = api_caller(req, res);
    if (!caller) return;
    RunContext ctx(config_);
    json(res, 200, overview_json(list_overview(ctx)));
  }));
  server.Get("/api/v1/databases/(.+)/backups", guarded(true, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = api_caller(req, res);
    if (!caller) return;
    std::string db = req.matches[1];
    json(res, 200, database_json(db, backups_of(db)));
  }));
  server.Get(std::string("/api/v1/jobs/") + kJobIdPattern, guarded(true, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = api_caller(req, res);
    if (!caller) return;
    auto job = jobs_.describe(req.matches[1]);
    if (!job) return json_error(res, 404, "not_found", "no job with that id (jobs are kept until the console restarts)");
    json(res, 200, *job);
  }));
  server.Get("/api/v1/archives", guarded(true, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = api_caller(req, res);
    if (!caller) return;
    RunContext ctx(config_);
    std::vector<ArchiveInfo> archives = list_archives(ctx);
    auto theirs = std::remove_if(archives.begin(), archives.end(), [](const ArchiveInfo& a) { return !a.configured_source; });
    std::size_t others = static_cast<std::size_t>(archives.end() - theirs);
    archives.erase(theirs, archives.end());
    json(res, 200, archives_json(archives, others));
  }));
  server.Delete("/api/v1/archives/(.+)", guarded(true, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = api_caller(req, res);
    if (!caller) return;
    std::string name = req.matches[1];
    if (!csrf_ok(*caller, req, res, true) || !require_operator(*caller, res, "dropping an archive", true)) return;
    audit(*caller, "drop archive " + quote_name(name));
    RunContext ctx(config_);
    drop_archive(ctx, name);
    json(res, 200, ojson{{"dropped", name}});
  }));
  // A JSON body of an API POST (application/json only: a cross-site form cannot send it).
  auto body_of = [this](const httplib::Request& req, httplib::Response& res) -> std::optional<ojson> {
    if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
      json_error(res, 415, "usage", "send the body as JSON with Content-Type: application/json");
      return std::nullopt;
    }
    ojson body = ojson::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      json_error(res, 400, "usage", "the body is not a JSON object");
      return std::nullopt;
    }
    return body;
  };
  // A string field of a body; nullopt when absent; throws ConfigError when not a string.
  auto field = [](const ojson& body, const char* key) -> std::optional<std::string> {
    if (!body.contains(key) || body[key].is_null()) return std::nullopt;
    if (!body[key].is_string()) throw ConfigError(std::string("\"") + key + "\" must be a string");
    return body[key].get<std::string>();
  };
  server.Post("/api/v1/restore", guarded(true, [this, body_of, field](const httplib::Request& req, httplib::Response& res) {
    auto caller = api_caller(req, res);
    if (!caller) return;
    if (!csrf_ok(*caller, req, res, true) || !require_operator(*caller, res, "restore", true)) return;
    auto body = body_of(req, res);
    if (!body) return;
    RestoreRequest request;
    auto db = field(*body, "database");
    if (!db || db->empty()) throw ConfigError("restore: \"database\" is missing — name the database to restore");
    request.source = *db;
    request.backup_id = field(*body, "backup");
    request.at = field(*body, "at");
    request.into = field(*body, "into");
    if (request.backup_id && request.at) throw ConfigError("restore: give \"backup\" or \"at\", not both");
    std::string id = submit_restore(*caller, request);
    res.set_header("Location", "/api/v1/jobs/" + id);
    json(res, 202, ojson{{"id", id}, {"state", "queued"}});
  }));
  server.Post("/api/v1/backup", guarded(true, [this, body_of, field](const httplib::Request& req, httplib::Response& res) {
    auto caller = api_caller(req, res);
    if (!caller) return;
    if (!csrf_ok(*caller, req, res, true) || !require_operator(*caller, res, "backing up", true)) return;
    auto body = body_of(req, res);
    if (!body) return;
    auto db = field(*body, "database");
    if (!db || db->empty()) throw ConfigError("backup: \"database\" is missing — name the database to back up");
    std::string id = submit_backup(*caller, *db);
    res.set_header("Location", "/api/v1/jobs/" + id);
    json(res, 202, ojson{{"id", id}, {"state", "queued"}});
  }));
  server.Get("/metrics", guarded(true, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = api_caller(req, res);
    if (!caller) return;
    res.set_content(current_metrics(config_), "text/plain; version=0.0.4; charset=utf-8");
  }));

  server.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (req.path.rfind("/api/", 0) == 0)
      json_error(res, res.status, "not_found", res.status == 404 ? "no such endpoint (docs/web-api.md)" : "request refused");
    else if (res.status == 404)
      html(res, 404, layout("404", Html("<p class=\"error\">"_html) << "Not found." << "</p>"_html, std::nullopt));
  });
}

void Console::bind() {
  const WebConfig& web = config_.web;
  std::unique_ptr<httplib::Server>& server = server_;
  if (web.tls()) {
    auto tls = std::make_unique<httplib::SSLServer>(web.tls_cert_file.c_str(), web.tls_key_file.c_str());
    if (!tls->is_valid())
      throw ConfigError("web: cannot use tls_cert_file " + quote_name(web.tls_cert_file) + " with tls_key_file " +
                        quote_name(web.tls_key_file) +
                        " — both must be readable PEM files, the key matching the certificate");
    server = std::move(tls);
  } else {
    server = std::make_unique<httplib::Server>();
  }
  server->set_payload_max_length(kMaxBodyBytes);
  server->set_read_timeout(std::chrono::seconds(10));
  server->set_default_headers({
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Cache-Control", "no-store"},
  });
  routes(*server);
  if (!server->bind_to_port(web.host, web.port))
    throw OperationError("web: cannot listen on " + web.listen +
                         " — another program uses that port, or the address is not this machine's; change [web] listen");
  log::info(std::string("web console on ") + (web.tls() ? "https://" : "http://") + web.listen + " for " +
            std::to_string(web.users.size()) + " user(s); stop with SIGTERM or Ctrl-C");
}

void Console::listen() {
  std::unique_ptr<httplib::Server>& server = server_;
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done && !cancel_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    server->stop();
  });
  server->listen_after_bind();
  done = true;
  watcher.join();
  log::info("web console stopped");
}

}  // namespace

std::string job_failure_wording(const std::exception& error) { return log::mask_secrets(error_text(error)); }

struct ConsoleServer::Impl {
  Impl(const Config& config, JobQueue& jobs) : console(config, jobs) {}
  Console console;
};

ConsoleServer::ConsoleServer(const Config& config, JobQueue& jobs) : impl_(std::make_unique<Impl>(config, jobs)) {
  impl_->console.bind();
}

ConsoleServer::~ConsoleServer() = default;

void ConsoleServer::run() { impl_->console.listen(); }

void serve_console(const Config& config) {
  JobQueue jobs(job_failure_wording);
  ConsoleServer console(config, jobs);
  console.run();
}

}  // namespace bb::web
