// E-mail, webhook and heartbeat channels.
#include "notify/channels.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "notify/notice.h"
#include "notify/report.h"
#include "ops/runs.h"
#include "state/state.h"
#include "util/error.h"
#include "util/http.h"
#include "util/log.h"

namespace bb {
namespace {

// Shared by every [[notify]] channel: the outcome filter, tries with a short backoff, the
// log line and the delivery record.
class DeliveringChannel : public Notifier {
 public:
  DeliveringChannel(const Config& config, std::size_t index)
      : config_(config), channel_(config.notify.at(index - 1)), name_(describe_notify_channel(channel_, index)),
        server_(run_server_name(config)) {}

  std::string name() const override { return name_; }

  void run_finished(const std::vector<BackupResult>& results) override {
    std::vector<std::string> dbs;
    for (const auto& r : results) dbs.push_back(r.database);
    deliver(run_finished_notice(results, restore_proof_warnings(config_, dbs), server_, language(), started_at(),
                                std::chrono::system_clock::now()));
  }
  void backup_failed(const BackupResult& result) override {
    deliver(backup_failed_notice(result, server_, language(), std::chrono::system_clock::now()));
  }
  void drill_finished(const std::vector<VerifyResult>& results) override {
    deliver(drill_notice(results, server_, language(), std::chrono::system_clock::now()));
  }
  void alert(const std::string& text) override {
    deliver(alert_notice(text, server_, language(), std::chrono::system_clock::now()));
  }
  void run_started() override {
    started_at_ = std::chrono::system_clock::now().time_since_epoch().count();
  }
  void send_test() override {
    Notice notice = test_notice(server_, language(), std::chrono::system_clock::now());
    try {
      send(notice);
      record(notice, "");
    } catch (const std::exception& e) {
      std::string why = log::mask_secrets(e.what());
      record(notice, why);
      throw Error(why);
    }
  }

 protected:
  // Does this channel hear that outcome?
  virtual bool wants(const Notice& notice) const {
    switch (notice.outcome) {
      case Outcome::kFailure: return channel_.on.failure;
      case Outcome::kWarning: return channel_.on.warning;
      default: return channel_.on.success;
    }
  }
  // One try; throws with the reason.
  virtual void send(const Notice& notice) = 0;

  // Every try of one notice; never throws.
  void deliver(const Notice& notice) {
    if (!wants(notice)) return;
    std::string why;
    for (int attempt = 1; attempt <= channel_.tries; ++attempt) {
      try {
        send(notice);
        log::debug(name_ + ": sent " + notice.event);
        record(notice, "");
        return;
      } catch (const std::exception& e) {
        why = log::mask_secrets(e.what());
      }
      if (attempt < channel_.tries) {
        auto backoff = std::min<std::chrono::milliseconds>(channel_.timeout, std::chrono::milliseconds(2000 * attempt));
        log::debug(name_ + ": try " + std::to_string(attempt) + " failed (" + why + "), again in " +
                   std::to_string(backoff.count()) + " ms");
        std::this_thread::sleep_for(backoff);
      }
    }
    log::warn("could not send the " + notice.event + " notice to " + name_ + " after " + std::to_string(channel_.tries) +
              " tries: " + why);
    record(notice, why);
  }

  std::optional<TimePoint> started_at() const {
    auto ticks = started_at_.load();
    if (ticks == 0) return std::nullopt;
    return TimePoint(TimePoint::duration(ticks));
  }

  const std::string& language() const { return config_.telegram.language; }

  // Remembers the delivery for `status` and `check`; a state directory that cannot be
  // written is only logged.
  void record(const Notice& notice, const std::string& error) {
    try {
      DeliveryLog(state_directory(config_.backup.state_dir))
          .record(name_, Delivery{format_iso_utc(std::chrono::system_clock::now()), error.empty(), notice.event, error});
    } catch (const std::exception& e) {
      log::warn(name_ + ": could not record the delivery: " + log::mask_secrets(e.what()));
    }
  }

  Config config_;
  NotifyChannelConfig channel_;
  std::string name_;
  std::string server_;
  std::atomic<TimePoint::duration::rep> started_at_{0};
};

// An HTTP exchange that must answer 2xx.
void post(const std::string& url, const std::string& body, const http::Headers& headers,
          std::chrono::milliseconds timeout) {
  http::Request request;
  request.method = "POST";
  request.url = url;
  request.body = body;
  request.headers = headers;
  request.timeout = timeout;
  request.total_timeout = timeout;
  http::Response response = http::perform(request);
  if (!response.ok()) {
    std::string answer = response.body.substr(0, 200);
    for (char& c : answer)
      if (c == '\n' || c == '\r') c = ' ';
    throw Error(log::mask_secrets("the receiver answered HTTP " + std::to_string(response.status) +
                                  (answer.empty() ? "" : ": " + answer)));
  }
}

class EmailChannel : public DeliveringChannel {
 public:
  using DeliveringChannel::DeliveringChannel;

 protected:
  void send(const Notice& notice) override {
    http::MailRequest mail;
    mail.url = channel_.smtp_url;
    mail.require_starttls = channel_.starttls;
    mail.ca_file = channel_.ca_file;
    mail.from = channel_.from;
    mail.to = channel_.to;
    mail.username = channel_.username;
    mail.password = channel_.password.value;
    mail.timeout = channel_.timeout;
    mail.message = format_email(notice, channel_.from, channel_.to, std::chrono::system_clock::now(),
                                std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) + name_);
    http::send_mail(mail);
  }
};

class WebhookChannel : public DeliveringChannel {
 public:
  using DeliveringChannel::DeliveringChannel;

 protected:
  void send(const Notice& notice) override {
    std::string body = webhook_body(notice, channel_.format);
    http::Headers headers{{"Content-Type", "application/json"}};
    if (!channel_.secret.empty()) headers.emplace_back("X-BackupBuddy-Signature", webhook_signature(channel_.secret.value, body));
    post(channel_.url.value, body, headers, channel_.timeout);
  }
};

// healthchecks.io / Uptime Kuma push: <url>/start, <url> on success (and warning),
// <url>/fail on failure, the report as the body. Drills do not ping: the heartbeat
// watches the backup runs.
class HeartbeatChannel : public DeliveringChannel {
 public:
  using DeliveringChannel::DeliveringChannel;
  void run_started() override {
    DeliveringChannel::run_started();
    deliver(run_started_notice(server_, language(), std::chrono::system_clock::now()));
  }
  void backup_failed(const BackupResult&) override {}  // the run's end pings /fail
  void drill_finished(const std::vector<VerifyResult>&) override {}

 protected:
  bool wants(const Notice&) const override { return true; }
  void send(const Notice& notice) override {
    std::string suffix = notice.event == "run_started"            ? "/start"
                         : notice.outcome == Outcome::kFailure     ? "/fail"
                                                                   : "";
    post(heartbeat_url(channel_.url.value, suffix), notice.text, {{"Content-Type", "text/plain; charset=utf-8"}},
         channel_.timeout);
  }
};

}  // namespace

std::string describe_notify_channel(const NotifyChannelConfig& channel, std::size_t index) {
  std::string out = "notify #" + std::to_string(index) + ": ";
  switch (channel.type) {
    case NotifyType::kEmail: {
      std::string to;
      for (const auto& a : channel.to) to += (to.empty() ? "" : ", ") + a;
      return out + "email to " + to + " via " + url_for_messages(channel.smtp_url);
    }
    case NotifyType::kWebhook:
      return out + "webhook" + (channel.format == "json" ? "" : " (" + channel.format + ")") + " " +
             url_for_messages(channel.url.value);
    default:
      return out + "heartbeat " + url_for_messages(channel.url.value);
  }
}

std::unique_ptr<Notifier> make_notify_channel(const Config& config, std::size_t index) {
  switch (config.notify.at(index - 1).type) {
    case NotifyType::kEmail: return std::make_unique<EmailChannel>(config, index);
    case NotifyType::kWebhook: return std::make_unique<WebhookChannel>(config, index);
    default: return std::make_unique<HeartbeatChannel>(config, index);
  }
}

}  // namespace bb
