// Run reports for the administrators on Telegram: after every backup run (CLI, cron,
// scheduler, bot) when [telegram] notify = true — one message, failures first, each with
// its reason in plain words; failures inside `serve` are also sent at once.
#pragma once

#include <string>
#include <vector>

#include "commands/backup.h"
#include "commands/verify.h"
#include "config/config.h"

namespace date {
class time_zone;
}

namespace bb {

// The report text in [telegram] language ("ru" or "en"). Pure.
std::string format_run_report(const std::vector<BackupResult>& results, const std::string& language,
                              const date::time_zone* zone);
// The immediate alert for one failed database. Pure.
std::string format_failure_alert(const BackupResult& result, const std::string& language);

// Databases whose newest backup has not been proven restorable (a passed restore test)
// within [verify] max_age, as report lines; empty when no drills are scheduled.
std::vector<std::string> restore_proof_warnings(const Config& config, const std::vector<std::string>& databases);

// The report of a restore drill (verify --restore-test of each newest backup). Pure.
std::string format_drill_report(const std::vector<VerifyResult>& results, const std::string& language);

// Sends text to every admin when Telegram is configured and notify is on. Never throws:
// a report that cannot be delivered is logged, the run's result stands.
void notify_admins(const Config& config, const std::string& text);
// format_run_report + notify_admins.
void send_run_report(const Config& config, const std::vector<BackupResult>& results);

}  // namespace bb
