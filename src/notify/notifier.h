// Notification channels: where administrators hear what happened. Each channel gets the
// same events (a run started and finished, a database failed in the service, a drill
// finished, a plain alert) and words them with notify/report.h and notify/notice.h. A
// channel that fails never fails the run and never delays the next database: it is
// retried, logged and its last delivery recorded (state/deliveries.h).
#pragma once

#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "ops/backup.h"
#include "ops/check.h"
#include "ops/verify.h"
#include "state/deliveries.h"

namespace bb {

// One channel. The event methods never throw.
class Notifier {
 public:
  virtual ~Notifier() = default;
  // A short description for logs, `status` and `check`, without secrets ("telegram",
  // "notify #2: webhook (slack) https://hooks.slack.com/…").
  virtual std::string name() const = 0;
  // When a backup run starts (heartbeats ping <url>/start).
  virtual void run_started() {}
  // After a backup run (CLI, cron, scheduler, bot): every database's result.
  virtual void run_finished(const std::vector<BackupResult>& results) = 0;
  // At once, when a database failed inside the long-running service.
  virtual void backup_failed(const BackupResult& result) = 0;
  // After a restore drill.
  virtual void drill_finished(const std::vector<VerifyResult>& results) = 0;
  // Anything else the service must say (a run that could not start, a config not loaded).
  virtual void alert(const std::string& text) = 0;
  // `check --notify`: sends a test message now; throws with the reason when it fails.
  virtual void send_test() = 0;
};

// What `check --notify` found for one channel.
struct ChannelTest {
  std::string channel;
  bool ok = false;
  std::string detail;  // the reason when it failed
};

// Every channel the config enables ([telegram] and each [[notify]] entry), each event sent
// to all of them at once. backup_failed returns at once (the next database does not wait);
// the other events, and the destructor, wait until every channel is done.
class Notifiers : public Notifier {
 public:
  explicit Notifiers(const Config& config);
  ~Notifiers() override;
  std::string name() const override { return "all channels"; }
  void run_started() override;
  void run_finished(const std::vector<BackupResult>& results) override;
  void backup_failed(const BackupResult& result) override;
  void drill_finished(const std::vector<VerifyResult>& results) override;
  void alert(const std::string& text) override;
  void send_test() override;
  // `check --notify`: a test message on every channel, one result each.
  std::vector<ChannelTest> test_all();

 private:
  void wait_pending();
  std::vector<std::unique_ptr<Notifier>> channels_;
  std::mutex pending_mutex_;
  std::vector<std::future<void>> pending_;
};

// The description (Notifier::name) of each [[notify]] entry, in order.
std::vector<std::string> notify_channel_names(const Config& config);

// The last delivery of each [[notify]] channel from the state directory, by name; a
// channel that never sent anything is missing.
std::map<std::string, Delivery> last_deliveries(const Config& config);

// The notification channels as `check` lines: with send_test a test message on each (ok or
// failed); else each [[notify]] channel's last delivery (a failed one is a warning, with
// Remedy::kTestChannels, as is a channel that never sent anything).
std::vector<CheckItem> channel_check_items(const Config& config, bool send_test);

}  // namespace bb
