// The Telegram channel: reports and alerts sent to every [telegram] admin when
// [telegram] notify is on, through the Bot API client (notify/telegram_api.h).
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "notify/notifier.h"

namespace bb {

// The Telegram channel, or nullptr when [telegram] is not configured or notify is off.
std::unique_ptr<Notifier> make_telegram_notifier(const Config& config);

// For `check`: the bot answers getMe and has admins; returns what works, throws otherwise.
std::string check_telegram(const TelegramConfig& telegram);

}  // namespace bb
