// Report texts for the administrators: after every backup run (CLI, cron, scheduler, bot)
// one message, failures first, each with its reason in plain words; the immediate alert
// of a failure inside `serve`; the restore drill's report. Every channel (notify/) sends
// the same words, in [telegram] language.
#pragma once

#include <string>
#include <vector>

#include "ops/backup.h"
#include "ops/verify.h"
#include "config/config.h"

namespace bb {

// The report text in [telegram] language ("ru" or "en"). Pure.
std::string format_run_report(const std::vector<BackupResult>& results, const std::string& language);
// The immediate alert for one failed database. Pure.
std::string format_failure_alert(const BackupResult& result, const std::string& language);

// Databases whose newest backup has not been proven restorable (a passed restore test)
// within [verify] max_age, as report lines; empty when no drills are scheduled.
std::vector<std::string> restore_proof_warnings(const Config& config, const std::vector<std::string>& databases);

// The report of a restore drill (verify --restore-test of each newest backup). Pure.
std::string format_drill_report(const std::vector<VerifyResult>& results, const std::string& language);

}  // namespace bb
