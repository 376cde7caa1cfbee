// The web console over cpp-httplib (Debian's libcpp-httplib-dev): routes, authentication,
// sessions, login throttling, CSRF tokens, security headers, and the pages.
#include "web/console.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "catalog/retention.h"
#include "crypto/password.h"
#include "notify/metrics.h"
#include "notify/notifier.h"
#include "notify/telegram.h"
#include "ops/archives.h"
#include "ops/backup.h"
#include "ops/check.h"
#include "ops/jobs.h"
#include "ops/json.h"
#include "ops/list.h"
#include "ops/restore.h"
#include "ops/runs.h"
#include "ops/schedule.h"
#include "ops/verify.h"
#include "state/state.h"
#include "stream/sha256.h"
#include "util/timezone.h"
#include "web/charts.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"
#include "util/signals.h"
#include "util/time.h"
#include "web/assets.h"
#include "web/fleet.h"
#include "web/html.h"
#include "web/texts.h"

namespace bb::web {
namespace {

using ojson = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

constexpr const char* kCookieName = "bb_session";
constexpr const char* kLoginCookieName = "bb_login";               // the login form's pre-session CSRF token
constexpr int kFreeFailures = 5;                                    // wrong passwords per name before a pause
constexpr int kFreeAddressFailures = 20;                            // wrong passwords per address, any names
constexpr std::chrono::seconds kFirstPause{30};                    // doubles with each further failure
constexpr std::chrono::seconds kLongestPause{15 * 60};
constexpr std::chrono::seconds kFailureMemory{15 * 60};            // failures older than this are forgotten
constexpr std::chrono::seconds kVerifiedFor{5 * 60};  // a verified HTTP Basic password is trusted again for this long
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

// The bytes of an IP address literal (an IPv4-mapped IPv6 address as its IPv4 bytes), or ""
// for anything that is not one.
std::string ip_bytes(const std::string& text) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 4);
  if (inet_pton(AF_INET6, text.c_str(), buf) != 1) return "";
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(buf, kMapped, sizeof kMapped) == 0) return std::string(reinterpret_cast<char*>(buf) + 12, 4);
  return std::string(reinterpret_cast<char*>(buf), 16);
}

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

// ?limit=N of the run lists: 1..500, else kRunsShown.
std::size_t runs_limit(const httplib::Request& req) {
  std::string text = req.has_param("limit") ? req.get_param_value("limit") : "";
  if (text.empty() || text.size() > 3 || text.find_first_not_of("0123456789") != std::string::npos) return kRunsShown;
  std::size_t n = std::stoul(text);
  return n >= 1 && n <= 500 ? n : kRunsShown;
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
  // The counter of every wrong password from an address, whatever the name (no user name
  // holds a NUL byte, so no name's key is this one).
  std::string address_key(const std::string& address) { return address + "\n" + std::string(1, '\0'); }
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
  // The login form carrying the pre-session CSRF token of the bb_login cookie.
  Html login_page(const std::string& error, const std::string& login_token);
  // "2026-12-01 04:00 ok" / "… FAILED: reason" / "never" for a database's last verification.
  std::string verification_text(const std::optional<DatabaseState>& state) {
    if (!state || !state->verified_at) return words_.never;
    std::string out = format_time(*state->verified_at) + " " + (state->verify_ok ? words_.ok : words_.failed);
    if (!state->verify_ok && !state->verify_error.empty()) out += ": " + state->verify_error;
    return out;
  }
  // The request's pre-session login token, or a new one set as the bb_login cookie.
  std::string login_token(const httplib::Request& req, httplib::Response& res);

  // ---- who is asking ----
  // The peer is one of [web] trusted_proxies.
  bool from_trusted_proxy(const httplib::Request& req) const { return trusted_proxy(ip_bytes(req.remote_addr)); }
  // An address (as ip_bytes gives it) is one of [web] trusted_proxies.
  bool trusted_proxy(const std::string& address) const {
    return !address.empty() && std::any_of(config_.web.trusted_proxies.begin(), config_.web.trusted_proxies.end(),
                                           [&](const std::string& p) { return ip_bytes(p) == address; });
  }
  // The client's address: the peer, or behind a trusted proxy the rightmost X-Forwarded-For
  // entry that no trusted proxy added (entries to its left are the client's own words).
  std::string client_address(const httplib::Request& req) const {
    if (!from_trusted_proxy(req)) return req.remote_addr;
    std::vector<std::string> hops;
    for (std::size_t i = 0, n = req.get_header_value_count("X-Forwarded-For"); i < n; ++i) {
      std::string value = req.get_header_value("X-Forwarded-For", i);
      for (std::size_t start = 0; start <= value.size();) {
        std::size_t comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size();
        std::string hop = value.substr(start, comma - start);
        auto first = hop.find_first_not_of(" \t");
        hops.push_back(first == std::string::npos ? "" : hop.substr(first, hop.find_last_not_of(" \t") - first + 1));
        start = comma + 1;
      }
    }
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
      std::string bytes = ip_bytes(*it);
      if (bytes.empty()) return req.remote_addr;  // not an address: believe nothing further left
      if (!trusted_proxy(bytes)) return *it;
    }
    return req.remote_addr;
  }
  // Cookies get Secure under TLS, or when a trusted proxy says the client spoke HTTPS.
  std::string secure_attribute(const httplib::Request& req) const {
    bool https = config_.web.tls() || (from_trusted_proxy(req) && req.get_header_value("X-Forwarded-Proto") == "https");
    return https ? "; Secure" : "";
  }
  void dashboard(const Caller& caller, httplib::Response& res);
  void database_page(const Caller& caller, const std::string& db, httplib::Response& res);
  void job_page(const Caller& caller, const std::string& id, httplib::Response& res);
  void archives_page(const Caller& caller, const std::string& dropped, httplib::Response& res);
  void drop_confirm_page(const Caller& caller, const std::string& name, const std::string& error, int status,
                         httplib::Response& res);
  void check_page(const Caller& caller, const std::vector<CheckItem>* items, httplib::Response& res);

  // The archives of this config's databases (as `archives` lists them); others counts the rest.
  std::vector<ArchiveInfo> our_archives(std::size_t& others) {
    RunContext ctx(config_);
    std::vector<ArchiveInfo> archives = list_archives(ctx);
    auto theirs = std::remove_if(archives.begin(), archives.end(), [](const ArchiveInfo& a) { return !a.configured_source; });
    others = static_cast<std::size_t>(archives.end() - theirs);
    archives.erase(theirs, archives.end());
    return archives;
  }
  // The run records in the store (ops/runs: every server writing to this prefix), newest
  // first, from one listing. A record never changes once written, so each is read once and
  // kept (by key) while the store lists it: after its first view the dashboard (last runs,
  // duration charts) reads no record it has seen.
  std::vector<RunRecord> run_records(Storage& storage) {
    std::lock_guard lock(runs_mutex_);  // one reader at a time; sign-ins never wait for it
    std::vector<RunRecord> out;
    std::set<std::string> listed;
    for (const auto& key : list_run_keys(storage)) {
      std::string k = run_key(key.server, key.id);
      auto it = run_records_.find(k);
      if (it == run_records_.end()) {
        std::optional<RunRecord> record;  // an unreadable record is not read again
        try {
          record = read_run_record(storage, key);
        } catch (const NotFoundError&) {
          continue;  // trimmed by its server since the listing
        } catch (const Error& e) {
          log::warn(e.what());
        }
        it = run_records_.emplace(k, std::move(record)).first;
      }
      listed.insert(k);
      if (it->second) out.push_back(*it->second);
    }
    std::erase_if(run_records_, [&](const auto& r) { return !listed.count(r.first); });
    return out;
  }
  // Each database's last run and verification from the state file (empty when unreadable).
  std::map<std::string, DatabaseState> recorded_state() {
    try {
      return StateStore(state_directory(config_.backup.state_dir)).load();
    } catch (const std::exception& e) {
      log::debug(std::string("web: no state: ") + e.what());
      return {};
    }
  }

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
  std::string submit_verify(const Caller& caller, const std::string& db);

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
  // Passwords verified in the last few minutes, as HMACs under a key made at start (never the
  // passwords): a script calling the API with HTTP Basic pays scrypt (~0.1 s, 32 MiB) once per
  // kVerifiedFor, not on every request.
  const std::string verified_key_ = random_token();
  std::map<std::string, Clock::time_point> verified_;
  std::mutex runs_mutex_;
  std::map<std::string, std::optional<RunRecord>> run_records_;  // by key; nullopt: unreadable
  JobQueue& jobs_;  // shared with the bot under `serve`
  std::unique_ptr<httplib::Server> server_;
};

// ---- authentication ------------------------------------------------------------------

long Console::throttled_for(const std::string& address, const std::string& user) {
  std::lock_guard lock(mutex_);
  // A name is throttled after its own failures, and an address after failures over many
  // names: known and unknown names count alike, so a refusal never tells which names exist.
  auto left_for = [&](const std::string& key, int free_failures) -> long {
    auto it = failures_.find(key);
    if (it == failures_.end() || it->second.count < free_failures) return 0;
    auto pause = kFirstPause * (1 << std::min(it->second.count - free_failures, 5));
    pause = std::min<std::chrono::seconds>(pause, kLongestPause);
    auto left = std::chrono::duration_cast<std::chrono::seconds>(it->second.last + pause - Clock::now()).count();
    return left > 0 ? left + 1 : 0;
  };
  return std::max(left_for(failure_key(address, user), kFreeFailures),
                  left_for(address_key(address), kFreeAddressFailures));
}

void Console::record_failure(const std::string& address, const std::string& user) {
  std::lock_guard lock(mutex_);
  auto now = Clock::now();
  if (failures_.size() > 10000)  // forget old entries so a flood of names cannot grow memory forever
    std::erase_if(failures_, [&](const auto& f) { return now - f.second.last > kFailureMemory; });
  for (const auto& key : {failure_key(address, user), address_key(address)}) {
    Failures& f = failures_[key];
    if (now - f.last > kFailureMemory) f.count = 0;
    ++f.count;
    f.last = now;
  }
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
  std::string fingerprint;
  if (user) {
    std::string secret = name + '\0' + password + '\0' + user->password_hash;
    fingerprint = hmac_sha256_hex(verified_key_, secret);
    OPENSSL_cleanse(secret.data(), secret.size());
    std::lock_guard lock(mutex_);
    auto now = Clock::now();
    std::erase_if(verified_, [&](const auto& v) { return now - v.second > kVerifiedFor; });
    if (verified_.count(fingerprint)) return Check::kOk;
  }
  // An unknown user costs the same scrypt as a known one (no timing oracle for names).
  static const std::string kDummy = hash_password("not a password");
  bool ok = verify_password(password, user ? user->password_hash : kDummy) && user;
  if (ok) {
    forget_failures(address, name);
    std::lock_guard lock(mutex_);
    if (verified_.size() >= 256) verified_.clear();  // many users or passwords at once: start over
    verified_[fingerprint] = Clock::now();
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
  return Caller{user, id, it->second.csrf, client_address(req)};
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
      Check check = check_password(client_address(req), name, password, retry_after);
      OPENSSL_cleanse(password.data(), password.size());
      OPENSSL_cleanse(decoded->data(), decoded->size());
      if (check == Check::kOk) return Caller{config_.web.find_user(name), "", "", client_address(req)};
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

std::string Console::submit_verify(const Caller& caller, const std::string& db) {
  const Config& config = config_;
  std::string id = jobs_.submit("verify", caller.user->name, db, [&config, db](const ProgressCallback&) {
    // As `verify DB`: the newest backup's checksum and dump structure, recorded in the state file.
    RunContext ctx(config);
    std::vector<VerifyResult> results = verify_databases(ctx, {db}, false, false);
    write_metrics_textfile(config);
    const VerifyResult& r = results.at(0);
    if (!r.ok) throw OperationError(r.id.empty() ? r.error : "backup " + r.id + " FAILED verification: " + r.error);
    return verify_result_json(r);
  });
  audit(caller, "verify " + quote_name(db) + " (job " + id + ")");
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
  if (caller && caller->user)
    page << "<nav><a href=\"/\" id=\"nav-databases\">"_html << words_.databases
         << "</a><a href=\"/archives\" id=\"nav-archives\">"_html << words_.archives
         << "</a><a href=\"/check\" id=\"nav-check\">"_html << words_.check << "</a></nav>"_html;
  if (caller && caller->user) {
    page << "<form method=\"post\" action=\"/logout\"><span>"_html << caller->user->name << " ("_html
         << (caller->operator_role() ? "operator" : "viewer")
         << ") </span><input type=\"hidden\" name=\"csrf\" value=\""_html << caller->csrf
         << "\"><button class=\"secondary\" type=\"submit\">"_html << words_.sign_out << "</button></form>"_html;
  }
  page << "</header><main>"_html << body << "</main></body></html>"_html;
  return page;
}

std::string Console::login_token(const httplib::Request& req, httplib::Response& res) {
  std::string token = cookie_value(req, kLoginCookieName);
  if (token.size() == 32 && std::all_of(token.begin(), token.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
    return token;
  token = random_token();
  res.set_header("Set-Cookie", std::string(kLoginCookieName) + "=" + token + "; Path=/login; HttpOnly; SameSite=Strict" +
                                   secure_attribute(req));
  return token;
}

Html Console::login_page(const std::string& error, const std::string& login_token) {
  Html body;
  body << "<div class=\"card\"><h1>"_html << words_.login_heading << "</h1>"_html;
  if (!error.empty()) body << "<p class=\"error\" id=\"login-error\">"_html << error << "</p>"_html;
  body << "<form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"login_csrf\" value=\""_html
       << login_token << "\"><label for=\"name\">"_html << words_.user
       << "</label><input type=\"text\" id=\"name\" name=\"name\" autocomplete=\"username\" required>"_html
       << "<label for=\"password\">"_html << words_.password
       << "</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>"_html
       << "<p><button type=\"submit\" id=\"sign-in\">"_html << words_.sign_in << "</button></p></form></div>"_html;
  return layout(words_.login_heading, body, std::nullopt);
}

void Console::dashboard(const Caller& caller, httplib::Response& res) {
  RunContext ctx(config_);
  StoreOverview overview = list_overview(ctx);
  std::vector<RunRecord> runs;  // newest first
  std::string runs_error;
  try {
    runs = run_records(ctx.storage());
  } catch (const std::exception& e) {
    runs_error = log::mask_secrets(error_text(e));
    log::warn("web: the run records cannot be read: " + runs_error);
  }
  std::map<std::string, std::vector<double>> durations;  // each database's backup seconds, oldest first
  for (auto run = runs.rbegin(); run != runs.rend(); ++run)
    for (const auto& r : run->results)
      if (r.ok && !r.vanished) durations[r.database].push_back(r.seconds);
  const date::time_zone* zone = resolve_zone(config_.backup.timezone);
  std::vector<ScheduleEntry> schedules = schedule_entries(config_);
  auto now = std::chrono::system_clock::now();
  Html body;
  body << "<h1>"_html << words_.databases << "</h1>"_html;
  if (overview.databases.empty()) body << "<p>"_html << words_.no_databases << "</p>"_html;
  else {
    body << "<table class=\"responsive\" id=\"databases\"><thead><tr><th>"_html << words_.database << "</th><th>"_html
         << words_.last_backup << "</th><th>"_html << words_.result << "</th><th>"_html << words_.size << "</th><th>"_html
         << words_.backups << "</th><th>"_html << words_.last_verified << "</th><th>"_html << words_.next_run
         << "</th><th>"_html << words_.history << "</th></tr></thead><tbody>"_html;
    for (const auto& d : overview.databases) {
      bool known = d.state && d.state->backup_at;
      bool ok = known && d.state->backup_ok;
      std::string status = !known ? "unknown" : ok ? "ok" : "failed";
      std::string result = !known ? "-" : ok ? words_.ok : std::string(words_.failed) + ": " + d.state->backup_error;
      std::uint64_t size = d.newest.stored_bytes;
      std::optional<TimePoint> next = next_scheduled_run(schedules, config_, d.name, now, zone);
      Chart chart;
      chart.title = d.name + ": " + words_.size_history;
      chart.css_class = "chart-size";
      for (const auto& [time, bytes] : d.stored_history) chart.values.push_back(static_cast<double>(bytes));
      chart.format = [](double v) { return human_bytes(static_cast<std::uint64_t>(v)); };
      Chart duration;
      duration.title = d.name + ": " + words_.duration_history;
      duration.css_class = "chart-duration";
      if (auto it = durations.find(d.name); it != durations.end()) duration.values = it->second;
      duration.format = [](double v) { return human_seconds(v); };
      body << "<tr class=\"status-row-"_html << status << "\"><td data-label=\""_html << words_.database
           << "\"><span class=\"status status-"_html << status << "\"></span><a class=\"db-link\" href=\"/databases/"_html
           << path_segment(d.name) << "\">"_html << d.name << "</a></td><td data-label=\""_html
           << words_.last_backup << "\">"_html << format_time(d.newest.time) << "</td><td data-label=\""_html
           << words_.result << "\">"_html << result << "</td><td data-label=\""_html << words_.size << "\">"_html
           << human_bytes(size) << "</td><td data-label=\""_html << words_.backups << "\">"_html << d.count
           << "</td><td data-label=\""_html << words_.last_verified << "\" class=\"verified\">"_html
           << verification_text(d.state) << "</td><td data-label=\""_html << words_.next_run
           << "\" class=\"next-run\">"_html << (next ? format_local(*next, zone) : std::string(words_.not_scheduled))
           << "</td><td data-label=\""_html << words_.history << "\">"_html << render_chart(chart) << render_chart(duration) << "</td></tr>"_html;
    }
    body << "</tbody></table><p class=\"note\">"_html << words_.time_zone_note << " ("_html
         << (config_.backup.timezone.empty() ? std::string("local") : config_.backup.timezone) << ").</p>"_html;
  }
  // The last run of every server, then [[web.stores]] (web/fleet.h).
  body << fleet_sections(config_, newest_per_server(runs), runs_error);
  html(res, 200, layout(words_.databases, body, caller));
}

void Console::database_page(const Caller& caller, const std::string& db, httplib::Response& res) {
  std::vector<BackupListing> rows = backups_of(db);
  Html body;
  body << "<p><a href=\"/\">← "_html << words_.back << "</a></p><h1 id=\"db-name\">"_html << db << "</h1>"_html;
  std::map<std::string, DatabaseState> state = recorded_state();
  auto recorded = state.find(db);
  body << "<p id=\"verification\">"_html << words_.last_verified << ": "_html
       << verification_text(recorded == state.end() ? std::nullopt : std::optional<DatabaseState>(recorded->second))
       << "</p>"_html;
  if (!rows.empty()) {
    // History, oldest first: stored bytes of every backup, duration of those with a manifest.
    Chart size, duration;
    size.title = db + ": " + words_.size_history;
    size.css_class = "chart-size chart-large";
    duration.title = db + ": " + words_.duration_history;
    duration.css_class = "chart-duration chart-large";
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
      size.values.push_back(static_cast<double>(it->entry.stored_bytes));
      if (it->manifest)
        duration.values.push_back(
            std::chrono::duration<double>(it->manifest->finished_at - it->manifest->started_at).count());
    }
    for (Chart* c : {&size, &duration}) {
      c->width = 640;
      c->height = 110;
      c->labels = true;
    }
    size.format = [](double v) { return human_bytes(static_cast<std::uint64_t>(v)); };
    duration.format = [](double v) { return human_seconds(v); };
    body << "<div class=\"card charts\" id=\"history\"><h2>"_html << words_.history << "</h2><p>"_html
         << words_.size_history << "</p>"_html << render_chart(size) << "<p>"_html << words_.duration_history
         << "</p>"_html << render_chart(duration) << "</div>"_html;
  }
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
         << "</button></form><form method=\"post\" action=\"/verify\" id=\"verify-form\"><p class=\"note\">"_html
         << words_.verify_explain << "</p><input type=\"hidden\" name=\"csrf\" value=\""_html << caller.csrf
         << "\"><input type=\"hidden\" name=\"database\" value=\""_html << db
         << "\"><button class=\"secondary\" type=\"submit\" id=\"verify\">"_html << words_.verify
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
              {"failed", words_.job_failed}, {"position", words_.position}, {"archive", words_.archive},
              {"rows_all_match", words_.rows_all_match}, {"rows_differ", words_.rows_differ},
              {"rows_not_checked", words_.rows_not_checked}, {"verified_ok", words_.verified_ok}};
  std::string kind = (*job)["kind"];
  std::string state = (*job)["state"];
  std::string state_text = state == "queued" ? words_.queued : state == "running" ? words_.running
                           : state == "done" ? words_.done : words_.job_failed;
  Html body;
  body << "<div id=\"job\" data-job=\""_html << id << "\" data-kind=\""_html << kind << "\" data-state=\""_html << state << "\" data-words=\""_html
       << words.dump() << "\"><h1>"_html << words_.job << ": "_html
       << (kind == "restore" ? words_.restore : kind == "verify" ? words_.verify : words_.back_up_now) << " — "_html
       << (*job)["database"].get<std::string>() << "</h1><p>"_html << words_.state << ": <strong id=\"job-state\">"_html
       << state_text << "</strong></p><p><progress id=\"job-progress\"></progress></p><p id=\"job-detail\"></p><p id=\"row-check\"></p>"_html
       << "<p><a href=\"/databases/"_html << path_segment((*job)["database"].get<std::string>())
       << "\">"_html << words_.back << "</a></p></div>"_html;
  html(res, 200, layout(words_.job, body, caller, true));
}

void Console::archives_page(const Caller& caller, const std::string& dropped, httplib::Response& res) {
  std::size_t others = 0;
  std::vector<ArchiveInfo> archives = our_archives(others);
  Html body;
  body << "<h1>"_html << words_.archives << "</h1>"_html;
  if (!dropped.empty()) body << "<p class=\"ok\" id=\"dropped\">"_html << words_.dropped << ": "_html << dropped << "</p>"_html;
  if (archives.empty()) {
    body << "<p id=\"no-archives\">"_html << words_.no_archives << "</p>"_html;
  } else {
    body << "<table class=\"responsive\" id=\"archives\"><thead><tr><th>"_html << words_.archive << "</th><th>"_html
         << words_.source << "</th><th>"_html << words_.backup_id << "</th><th>"_html << words_.restored_at
         << "</th><th>"_html << words_.size << "</th><th></th></tr></thead><tbody>"_html;
    for (const auto& a : archives) {
      body << "<tr><td data-label=\""_html << words_.archive << "\" class=\"archive-name\">"_html << a.name
           << "</td><td data-label=\""_html << words_.source << "\">"_html << a.marker.source
           << "</td><td data-label=\""_html << words_.backup_id << "\">"_html << a.marker.backup_id
           << "</td><td data-label=\""_html << words_.restored_at << "\">"_html << a.marker.restored_at
           << "</td><td data-label=\""_html << words_.size << "\">"_html << human_bytes(a.size_bytes) << "</td><td>"_html;
      if (caller.operator_role())
        body << "<a class=\"drop-link\" href=\"/archives/"_html << path_segment(a.name) << "/drop\">"_html
             << words_.drop << "</a>"_html;
      body << "</td></tr>"_html;
    }
    body << "</tbody></table>"_html;
  }
  if (!caller.operator_role()) body << "<p class=\"note\">"_html << words_.viewer_note << "</p>"_html;
  html(res, 200, layout(words_.archives, body, caller));
}

void Console::drop_confirm_page(const Caller& caller, const std::string& name, const std::string& error, int status,
                                httplib::Response& res) {
  Html body;
  body << "<p><a href=\"/archives\">← "_html << words_.archives << "</a></p><div class=\"card\"><h1>"_html
       << words_.drop_heading << ": <span id=\"drop-name\">"_html << name << "</span></h1><p>"_html
       << words_.drop_explain << "</p>"_html;
  if (!error.empty()) body << "<p class=\"error\" id=\"drop-error\">"_html << error << "</p>"_html;
  body << "<form method=\"post\" action=\"/archives/drop\" id=\"drop-form\"><input type=\"hidden\" name=\"csrf\" value=\""_html
       << caller.csrf << "\"><input type=\"hidden\" name=\"name\" value=\""_html << name
       << "\"><label for=\"confirm\">"_html << words_.archive
       << "</label><input type=\"text\" id=\"confirm\" name=\"confirm\" autocomplete=\"off\" required>"_html
       << "<p><button type=\"submit\" id=\"drop-confirm\">"_html << words_.drop
       << "</button> <a href=\"/archives\">"_html << words_.cancel << "</a></p></form></div>"_html;
  html(res, status, layout(words_.drop_heading, body, caller));
}

void Console::check_page(const Caller& caller, const std::vector<CheckItem>* items, httplib::Response& res) {
  Html body;
  body << "<h1>"_html << words_.check << "</h1><p class=\"note\">"_html << words_.check_explain << "</p>"_html;
  if (items) {
    std::size_t failed = 0;
    body << "<ul class=\"checklist\" id=\"checklist\">"_html;
    for (const auto& item : *items) {
      failed += item.ok ? 0 : 1;
      std::string state = !item.ok ? "failed" : item.warning ? "warning" : "ok";
      body << "<li class=\"check-"_html << state << "\"><strong>"_html
           << (!item.ok ? words_.failed : item.warning ? words_.warning : words_.ok) << "</strong> "_html << item.text;
      if (std::string advice = remedy_text(item.remedy); (!item.ok || item.warning) && !advice.empty())
        body << "<span class=\"remedy\">"_html << advice << "</span>"_html;
      body << "</li>"_html;
    }
    body << "</ul><p id=\"check-summary\" class=\""_html << (failed ? "error" : "ok") << "\">"_html;
    if (failed) body << failed << " "_html << words_.check_failed;
    else body << words_.check_all_ok;
    body << "</p>"_html;
  }
  if (caller.operator_role())
    body << "<form method=\"post\" action=\"/check\" id=\"check-form\"><input type=\"hidden\" name=\"csrf\" value=\""_html
         << caller.csrf << "\"><button type=\"submit\" id=\"run-check\">"_html << words_.run_check
         << "</button></form>"_html;
  else
    body << "<p class=\"note\">"_html << words_.check_operator_only << "</p>"_html;
  html(res, 200, layout(words_.check, body, caller));
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
        log::warn("web: " + req.method + " " + display_text(req.path, 200) + " from " + client_address(req) + ": " + message);
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
    html(res, 200, login_page("", login_token(req, res)));
  }));
  server.Post("/login", guarded(false, [this](const httplib::Request& req, httplib::Response& res) {
    // A login form posted from another site (login CSRF) lacks the bb_login cookie's token:
    // refused before any password is checked or counted.
    std::string token = cookie_value(req, kLoginCookieName);
    std::string field = req.get_param_value("login_csrf");
    if (token.empty() || field.empty() || !same_secret(token, field)) {
      log::warn("web: sign-in from " + client_address(req) + " refused: no valid login token (a form from another site?)");
      return html(res, 403, login_page(words_.login_expired, login_token(req, res)));
    }
    std::string name = req.get_param_value("name");
    std::string password = req.get_param_value("password");
    long retry_after = 0;
    Check check = check_password(client_address(req), name, password, retry_after);
    OPENSSL_cleanse(password.data(), password.size());
    if (check == Check::kThrottled) {
      res.set_header("Retry-After", std::to_string(retry_after));
      return html(res, 429, login_page(words_.throttled, token));
    }
    if (check == Check::kWrong) return html(res, 401, login_page(words_.bad_login, token));
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
                                     secure_attribute(req));
    log::info("web: " + quote_name(name) + " from " + client_address(req) + ": signed in");
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
                                     secure_attribute(req));
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
  server.Get("/runs", guarded(false, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = session_caller(req);
    if (!caller) return redirect(res, "/login");
    html(res, 200, layout(run_texts_for(config_.web.language).runs, runs_page(config_, runs_limit(req)), caller));
  }));
  server.Get(std::string("/runs/") + kRunPathPattern, guarded(false, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = session_caller(req);
    if (!caller) return redirect(res, "/login");
    html(res, 200, layout(run_texts_for(config_.web.language).runs, run_page(config_, req.matches[1], req.matches[2]), caller));
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
  // An operator's job on one database from a database page's form: to the job's page.
  using Submit = std::string (Console::*)(const Caller&, const std::string&);
  auto database_form = [this](std::string action, Submit submit) {
    return [this, action, submit](const httplib::Request& req, httplib::Response& res) {
      auto caller = session_caller(req);
      if (!caller) return redirect(res, "/login");
      if (!csrf_ok(*caller, req, res, false) || !require_operator(*caller, res, action, false)) return;
      std::string db = req.get_param_value("database");
      if (db.empty()) throw ConfigError(action + ": no database given");
      redirect(res, "/jobs/" + (this->*submit)(*caller, db));
    };
  };
  server.Post("/backup", guarded(false, database_form("back up", &Console::submit_backup)));
  server.Post("/verify", guarded(false, database_form("verify", &Console::submit_verify)));
  server.Get("/archives", guarded(false, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = session_caller(req);
    if (!caller) return redirect(res, "/login");
    archives_page(*caller, req.get_param_value("dropped"), res);
  }));
  server.Get("/archives/(.+)/drop", guarded(false, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = session_caller(req);
    if (!caller) return redirect(res, "/login");
    if (!require_operator(*caller, res, "dropping an archive", false)) return;
    drop_confirm_page(*caller, req.matches[1], "", 200, res);
  }));
  server.Post("/archives/drop", guarded(false, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = session_caller(req);
    if (!caller) return redirect(res, "/login");
    if (!csrf_ok(*caller, req, res, false) || !require_operator(*caller, res, "dropping an archive", false)) return;
    std::string name = req.get_param_value("name");
    if (name.empty()) throw ConfigError("drop: no archive named");
    // No drop by one mis-click: the name must be typed again.
    if (req.get_param_value("confirm") != name) return drop_confirm_page(*caller, name, words_.drop_name_mismatch, 400, res);
    audit(*caller, "drop archive " + quote_name(name));
    RunContext ctx(config_);
    drop_archive(ctx, name);
    redirect(res, "/archives?dropped=" + path_segment(name));
  }));
  server.Get("/check", guarded(false, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = session_caller(req);
    if (!caller) return redirect(res, "/login");
    check_page(*caller, nullptr, res);
  }));
  server.Post("/check", guarded(false, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = session_caller(req);
    if (!caller) return redirect(res, "/login");
    // It writes and deletes a probe object in the store and calls Telegram: an operator's action.
    if (!csrf_ok(*caller, req, res, false) || !require_operator(*caller, res, "running the check", false)) return;
    audit(*caller, "ran the check");
    std::vector<NamedCheck> channels;
    if (config_.telegram.enabled())
      channels.push_back({"Telegram", [this] { return check_telegram(config_.telegram); }});
    std::vector<CheckItem> items = run_checks(config_, {}, channels);
    for (auto& item : channel_check_items(config_, false)) items.push_back(std::move(item));  // last deliveries
    check_page(*caller, &items, res);
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
  server.Get("/api/v1/runs", guarded(true, [this](const httplib::Request& req, httplib::Response& res) {
    if (!api_caller(req, res)) return;
    json(res, 200, runs_json(config_, runs_limit(req)));
  }));
  server.Get(std::string("/api/v1/runs/") + kRunPathPattern, guarded(true, [this](const httplib::Request& req, httplib::Response& res) {
    if (!api_caller(req, res)) return;
    json(res, 200, run_json(config_, req.matches[1], req.matches[2]));
  }));
  server.Get("/api/v1/stores", guarded(true, [this](const httplib::Request& req, httplib::Response& res) {
    if (!api_caller(req, res)) return;
    json(res, 200, stores_json(config_));
  }));
  server.Get("/api/v1/archives", guarded(true, [this](const httplib::Request& req, httplib::Response& res) {
    auto caller = api_caller(req, res);
    if (!caller) return;
    std::size_t others = 0;
    std::vector<ArchiveInfo> archives = our_archives(others);
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
  // An operator's job on one database from {"database": ...}: 202 with the job.
  auto database_job = [this, body_of, field](std::string action, std::string purpose, Submit submit) {
    return [this, body_of, field, action, purpose, submit](const httplib::Request& req, httplib::Response& res) {
      auto caller = api_caller(req, res);
      if (!caller) return;
      if (!csrf_ok(*caller, req, res, true) || !require_operator(*caller, res, action, true)) return;
      auto body = body_of(req, res);
      if (!body) return;
      auto db = field(*body, "database");
      if (!db || db->empty()) throw ConfigError("\"database\" is missing — name the database " + purpose);
      std::string id = (this->*submit)(*caller, *db);
      res.set_header("Location", "/api/v1/jobs/" + id);
      json(res, 202, ojson{{"id", id}, {"state", "queued"}});
    };
  };
  server.Post("/api/v1/backup", guarded(true, database_job("backing up", "to back up", &Console::submit_backup)));
  server.Post("/api/v1/verify",
              guarded(true, database_job("verifying", "whose newest backup to verify", &Console::submit_verify)));
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
