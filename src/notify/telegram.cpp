// The Telegram channel.
#include "notify/telegram.h"

#include "notify/report.h"
#include "notify/telegram_api.h"
#include "util/error.h"
#include "util/log.h"

namespace bb {
namespace {

class TelegramNotifier : public Notifier {
 public:
  explicit TelegramNotifier(const Config& config) : config_(config) {}
  std::string name() const override { return "telegram"; }

  void run_finished(const std::vector<BackupResult>& results) override {
    std::string text = format_run_report(results, config_.telegram.language);
    std::vector<std::string> dbs;
    for (const auto& r : results) dbs.push_back(r.database);
    for (const auto& w : restore_proof_warnings(config_, dbs)) text += "\n" + w;
    send(text);
  }
  void backup_failed(const BackupResult& result) override {
    send(format_failure_alert(result, config_.telegram.language));
  }
  void drill_finished(const std::vector<VerifyResult>& results) override {
    send(format_drill_report(results, config_.telegram.language));
  }
  void alert(const std::string& text) override { send(text); }
  void send_test() override {
    const TelegramConfig& tg = config_.telegram;
    telegram::TelegramApi api(tg.api_url, tg.token.value);
    std::string text = tg.language == "en" ? "BackupBuddy: a test message from `backupbuddy check --notify`; this channel works."
                                           : "BackupBuddy: проверочное сообщение от `backupbuddy check --notify`; этот канал работает.";
    for (std::int64_t admin : tg.admins) api.send_message(admin, text);
  }

 private:
  // Sends to every admin; a report that cannot be delivered is logged, the run stands.
  void send(const std::string& text) {
    const TelegramConfig& tg = config_.telegram;
    try {
      telegram::TelegramApi api(tg.api_url, tg.token.value);
      for (std::int64_t admin : tg.admins) {
        try {
          api.send_message(admin, telegram::fit_message(text));
        } catch (const std::exception& e) {
          log::warn("could not send the report to Telegram user " + std::to_string(admin) + ": " +
                    log::mask_secrets(e.what()));
        }
      }
    } catch (const std::exception& e) {
      log::warn(std::string("could not send the report to Telegram: ") + log::mask_secrets(e.what()));
    }
  }

  Config config_;
};

}  // namespace

std::unique_ptr<Notifier> make_telegram_notifier(const Config& config) {
  const TelegramConfig& tg = config.telegram;
  if (!tg.enabled() || !tg.notify || tg.admins.empty()) return nullptr;
  return std::make_unique<TelegramNotifier>(config);
}

std::string check_telegram(const TelegramConfig& tg) {
  telegram::TelegramApi api(tg.api_url, tg.token.value);
  telegram::BotIdentity me = api.get_me();
  if (tg.admins.empty())
    throw ConfigError("bot @" + me.username + " answers, but [telegram] admins is empty — nobody could use it");
  return "bot @" + me.username + " at " + api.describe() + ", " + std::to_string(tg.admins.size()) + " admin(s)";
}

}  // namespace bb
