// Notice: what every e-mail, webhook and heartbeat channel says about one event — the
// outcome, a subject naming the server and the outcome ("db1: 1 of 3 databases failed"),
// the report text of notify/report.h, and the details as JSON (docs/notifications.md).
// The channel formats (e-mail message, webhook bodies, heartbeat URLs) are pure functions
// of a Notice, so tests drive them without any server.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ops/backup.h"
#include "ops/verify.h"
#include "util/time.h"

namespace bb {

// How an event went; channels with on = [...] hear only the outcomes they list.
enum class Outcome { kSuccess, kWarning, kFailure };
// "success", "warning", "failure".
const char* outcome_name(Outcome outcome);

// One event, worded once for every channel.
struct Notice {
  std::string event;    // run_started, run_finished, backup_failed, drill_finished, alert, test
  Outcome outcome = Outcome::kSuccess;
  std::string server;   // this machine's name
  std::string subject;  // one line: server and outcome
  std::string text;     // the report, several lines
  nlohmann::ordered_json details;  // the documented JSON body (webhook format "json")
};

// The outcome of a run: failure when any database failed, warning when any has warnings.
Outcome run_outcome(const std::vector<BackupResult>& results);

// A backup run started (heartbeats ping <url>/start). Pure.
Notice run_started_notice(const std::string& server, const std::string& language, TimePoint now);
// A backup run finished; extra_lines (restore-proof warnings) are appended to the text.
// started_at is known when the run_started event was sent. Pure.
Notice run_finished_notice(const std::vector<BackupResult>& results, const std::vector<std::string>& extra_lines,
                           const std::string& server, const std::string& language,
                           std::optional<TimePoint> started_at, TimePoint now);
// One database failed inside `serve`, sent at once. Pure.
Notice backup_failed_notice(const BackupResult& result, const std::string& server, const std::string& language,
                            TimePoint now);
// A restore drill finished. Pure.
Notice drill_notice(const std::vector<VerifyResult>& results, const std::string& server, const std::string& language,
                    TimePoint now);
// Anything else the service must say (always a failure). Pure.
Notice alert_notice(const std::string& text, const std::string& server, const std::string& language, TimePoint now);
// The test message of `check --notify`. Pure.
Notice test_notice(const std::string& server, const std::string& language, TimePoint now);

// The whole e-mail (headers, blank line, base64 body; CRLF line ends) for libcurl's SMTP.
// message_id_seed makes the Message-ID unique. Pure.
std::string format_email(const Notice& notice, const std::string& from, const std::vector<std::string>& to,
                         TimePoint date, const std::string& message_id_seed);

// The webhook body for format "json", "slack", "discord", "teams" or "mattermost". Pure.
std::string webhook_body(const Notice& notice, const std::string& format);

// The value of the X-BackupBuddy-Signature header: "sha256=<hex HMAC-SHA256 of body>".
std::string webhook_signature(const std::string& secret, const std::string& body);

// A heartbeat URL with a suffix ("/start", "/fail", "") inserted before any query. Pure.
std::string heartbeat_url(const std::string& base, const std::string& suffix);

}  // namespace bb
