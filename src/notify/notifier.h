// Notification channels: where administrators hear what happened. Each channel gets the
// same events (a run finished, a database failed in the service, a drill finished, a
// plain alert) and words them with notify/report.h. A channel that fails never fails the
// run: it logs and carries on.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "ops/backup.h"
#include "ops/verify.h"

namespace bb {

// One channel. Implementations never throw.
class Notifier {
 public:
  virtual ~Notifier() = default;
  // A short name for logs ("telegram").
  virtual std::string name() const = 0;
  // After a backup run (CLI, cron, scheduler, bot): every database's result.
  virtual void run_finished(const std::vector<BackupResult>& results) = 0;
  // At once, when a database failed inside the long-running service.
  virtual void backup_failed(const BackupResult& result) = 0;
  // After a restore drill.
  virtual void drill_finished(const std::vector<VerifyResult>& results) = 0;
  // Anything else the service must say (a run that could not start, a config not loaded).
  virtual void alert(const std::string& text) = 0;
};

// Every channel the config enables, each event sent to all of them.
class Notifiers : public Notifier {
 public:
  explicit Notifiers(const Config& config);
  std::string name() const override { return "all channels"; }
  void run_finished(const std::vector<BackupResult>& results) override;
  void backup_failed(const BackupResult& result) override;
  void drill_finished(const std::vector<VerifyResult>& results) override;
  void alert(const std::string& text) override;

 private:
  std::vector<std::unique_ptr<Notifier>> channels_;
};

}  // namespace bb
