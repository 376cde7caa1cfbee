// Telegram Bot API client over util/http (used by the bot front end and by the Telegram
// notification channel): getMe, getUpdates (long polling), sendMessage
// and editMessageText with inline keyboards, answerCallbackQuery. The
// base URL is [telegram] api_url, so api.telegram.org, a self-hosted Bot API server and
// the test emulator all work. The token is registered as a secret: every URL in a log
// line or error shows "***" instead.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "util/error.h"
#include "util/http.h"

namespace bb::telegram {

// One update from Telegram, reduced to what the conversation needs.
struct Incoming {
  enum class Kind { kText, kCallback, kOther };
  Kind kind = Kind::kOther;
  std::int64_t user_id = 0;
  std::string username;  // "@name" or first name, for the log; may be empty
  std::int64_t chat_id = 0;
  std::optional<std::int64_t> message_id;  // callback: the message the button is on (may be missing)
  std::string text;         // kText
  std::string callback_id;  // kCallback
  std::string data;         // kCallback: the button's callback_data
};

// One inline keyboard button.
struct Button {
  std::string text;
  std::string data;  // at most 64 bytes (Telegram's limit); always a short token here
};
// Rows of inline buttons.
using Keyboard = std::vector<std::vector<Button>>;


// A Bot API call failed. kind says what the caller should do about it.
class TelegramError : public Error {
 public:
  enum class Kind {
    kTransient,     // network error, 5xx, 429: retry after a pause
    kUnauthorized,  // 401: the token is wrong; stop
    kConflict,      // 409: another instance polls this token (or a webhook is set); stop
    kRejected       // 400/403/404...: this request was refused; skip it
  };
  TelegramError(const std::string& message, Kind kind, std::chrono::seconds retry_after = {})
      : Error(message), kind_(kind), retry_after_(retry_after) {}
  Kind kind() const { return kind_; }
  // From a 429 answer's parameters.retry_after; zero when not given.
  std::chrono::seconds retry_after() const { return retry_after_; }

 private:
  Kind kind_;
  std::chrono::seconds retry_after_;
};

// The bot's own account (getMe).
struct BotIdentity {
  std::int64_t id = 0;
  std::string username;
};

// One raw update as received: its id (for the offset) and the parsed form.
struct RawUpdate {
  std::int64_t update_id = 0;
  Incoming incoming;  // Kind::kOther for update kinds the bot does not handle
};

// Parses one update object from getUpdates; never throws (malformed -> kOther).
RawUpdate parse_update(const nlohmann::json& update);

// Builds a Bot API inline_keyboard reply_markup.
nlohmann::json inline_keyboard_json(const Keyboard& keyboard);

// A Bot API client. Not thread-safe (one http::Client); each thread uses its own.
class TelegramApi {
 public:
  // api_url: e.g. "https://api.telegram.org" (no trailing slash needed).
  TelegramApi(std::string api_url, std::string token);

  // The bot's identity; throws TelegramError.
  BotIdentity get_me();
  // Updates after offset (offset = last handled update_id + 1), waiting up to
  // poll_timeout for one; should_cancel aborts the wait (CancelledError).
  std::vector<RawUpdate> get_updates(std::int64_t offset, std::chrono::seconds poll_timeout,
                                     const std::function<bool()>& should_cancel = {});
  // Sends a plain-text message (with an inline keyboard when not empty); returns its id
  // (0 when the server did not say).
  std::int64_t send_message(std::int64_t chat_id, const std::string& text, const Keyboard& keyboard = {});
  // Replaces a message's text (and its keyboard: empty removes it).
  void edit_message_text(std::int64_t chat_id, std::int64_t message_id, const std::string& text,
                         const Keyboard& keyboard = {});
  // Acknowledges a button press (stops the spinner on the user's button).
  void answer_callback_query(const std::string& callback_id, const std::string& text = "");

  // The API URL with the token masked, for messages.
  std::string describe() const;

 private:
  nlohmann::json call(const std::string& method, const nlohmann::json& params,
                      std::chrono::milliseconds total_timeout = std::chrono::milliseconds{30'000},
                      const std::function<bool()>& should_cancel = {});
  std::string api_url_;
  std::string token_;
  http::Client client_;
};

// Cuts text to Telegram's 4096-character message limit on a UTF-8 boundary.
std::string fit_message(const std::string& text);

}  // namespace bb::telegram
