// The configured channels.
#include "notify/notifier.h"

#include "notify/telegram.h"

namespace bb {

Notifiers::Notifiers(const Config& config) {
  if (auto telegram = make_telegram_notifier(config)) channels_.push_back(std::move(telegram));
}

void Notifiers::run_finished(const std::vector<BackupResult>& results) {
  if (results.empty()) return;
  for (auto& c : channels_) c->run_finished(results);
}

void Notifiers::backup_failed(const BackupResult& result) {
  for (auto& c : channels_) c->backup_failed(result);
}

void Notifiers::drill_finished(const std::vector<VerifyResult>& results) {
  if (results.empty()) return;
  for (auto& c : channels_) c->drill_finished(results);
}

void Notifiers::alert(const std::string& text) {
  for (auto& c : channels_) c->alert(text);
}

}  // namespace bb
