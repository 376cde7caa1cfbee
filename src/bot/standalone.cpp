// `backupbuddy bot`.
#include "bot/standalone.h"

#include "bot/bot.h"
#include "bot/messages.h"
#include "notify/telegram_api.h"
#include "util/error.h"
#include "util/log.h"

namespace bb {

int cmd_bot(const Config& config) {
  const TelegramConfig& tg = config.telegram;
  if (tg.token.empty())
    throw ConfigError(
        "bot: no Telegram bot token — set [telegram] token (or token_file, or the environment variable "
        "BACKUPBUDDY_TELEGRAM_TOKEN) to the token @BotFather gave you");
  if (tg.admins.empty())
    throw ConfigError(
        "bot: [telegram] admins is empty, so nobody could use the bot — add the Telegram user ids allowed to "
        "restore, e.g. admins = [123456789] (a user sees their id by writing to @userinfobot)");
  if (!bot::parse_language(tg.language))
    throw ConfigError("bot: [telegram] language \"" + tg.language + "\" is not supported — use \"ru\" or \"en\"");
  log::register_secret(tg.token.value);

  bot::TelegramApi api(tg.api_url, tg.token.value);
  bot::BotIdentity me;
  try {
    me = api.get_me();
  } catch (const bot::TelegramError& e) {
    throw Error(std::string("bot: cannot start: ") + e.what());
  }
  log::info("telegram bot " + (me.username.empty() ? std::string("(no username)") : "@" + me.username) +
            " is serving " + std::to_string(tg.admins.size()) + " admin(s) via " + api.describe() +
            "; stop with SIGTERM or Ctrl-C");
  bot::CoreBackend backend(config);
  JobQueue jobs;  // the bot's own; under `serve` it shares one with the web console
  bot::Bot bot(config, backend, jobs);
  bot.run();
  log::info("telegram bot stopped");
  return kExitOk;
}

}  // namespace bb
