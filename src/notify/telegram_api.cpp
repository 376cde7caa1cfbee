// Telegram Bot API client (see telegram.h).
#include "notify/telegram_api.h"

#include <nlohmann/json.hpp>

#include "util/log.h"

namespace bb::telegram {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxMessageCodepoints = 4000;  // Telegram: 4096 UTF-16 units

std::int64_t int_or(const json& j, const char* key, std::int64_t fallback) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return fallback;
  return it->get<std::int64_t>();
}

std::string string_or(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::string who(const json& from) {
  std::string username = string_or(from, "username");
  if (!username.empty()) return "@" + username;
  return string_or(from, "first_name");
}

}  // namespace

std::string fit_message(const std::string& text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) {  // a code point starts here
      if (count == kMaxMessageCodepoints) return text.substr(0, i) + "…";
      ++count;
    }
  }
  return text.empty() ? std::string("…") : text;  // Telegram rejects empty texts
}

RawUpdate parse_update(const json& update) {
  RawUpdate r;
  if (!update.is_object()) return r;
  r.update_id = int_or(update, "update_id", 0);
  Incoming& in = r.incoming;
  try {
    if (auto m = update.find("message"); m != update.end() && m->is_object()) {
      const json& from = m->value("from", json::object());
      const json& chat = m->value("chat", json::object());
      if (!from.is_object() || !chat.is_object() || !from.contains("id")) return r;
      in.user_id = int_or(from, "id", 0);
      in.username = who(from);
      in.chat_id = int_or(chat, "id", in.user_id);
      in.message_id = int_or(*m, "message_id", 0);
      if (auto t = m->find("text"); t != m->end() && t->is_string()) {
        in.kind = Incoming::Kind::kText;
        in.text = t->get<std::string>();
      } else {
        // Stickers, photos, files: treated as text the bot does not understand (help).
        in.kind = Incoming::Kind::kText;
        in.text = "";
      }
    } else if (auto q = update.find("callback_query"); q != update.end() && q->is_object()) {
      const json& from = q->value("from", json::object());
      if (!from.is_object() || !from.contains("id")) return r;
      in.kind = Incoming::Kind::kCallback;
      in.user_id = int_or(from, "id", 0);
      in.username = who(from);
      in.callback_id = string_or(*q, "id");
      in.data = string_or(*q, "data");
      in.chat_id = in.user_id;  // a private chat's id is the user's id
      if (auto m = q->find("message"); m != q->end() && m->is_object()) {
        if (auto c = m->find("chat"); c != m->end() && c->is_object()) in.chat_id = int_or(*c, "id", in.user_id);
        if (m->contains("message_id") && (*m)["message_id"].is_number_integer())
          in.message_id = (*m)["message_id"].get<std::int64_t>();
      }
    }
  } catch (const std::exception&) {
    r.incoming = Incoming{};  // malformed: ignored
  }
  return r;
}

json inline_keyboard_json(const Keyboard& keyboard) {
  json rows = json::array();
  for (const auto& row : keyboard) {
    json r = json::array();
    for (const auto& b : row) r.push_back({{"text", b.text}, {"callback_data", b.data}});
    rows.push_back(std::move(r));
  }
  return {{"inline_keyboard", std::move(rows)}};
}

TelegramApi::TelegramApi(std::string api_url, std::string token) : api_url_(std::move(api_url)), token_(std::move(token)) {
  while (!api_url_.empty() && api_url_.back() == '/') api_url_.pop_back();
  log::register_secret(token_);
}

std::string TelegramApi::describe() const { return api_url_ + "/bot***"; }

json TelegramApi::call(const std::string& method, const json& params, std::chrono::milliseconds total_timeout,
                       const std::function<bool()>& should_cancel) {
  http::Request req;
  req.method = "POST";
  req.url = api_url_ + "/bot" + token_ + "/" + method;
  req.headers = {{"Content-Type", "application/json"}};
  std::string body = params.dump(-1, ' ', false, json::error_handler_t::replace);
  req.body = body;
  req.timeout = std::chrono::milliseconds{15'000};
  req.total_timeout = total_timeout;
  req.should_cancel = should_cancel;
  std::string where = "Telegram " + method + " at " + describe();
  http::Response resp;
  try {
    resp = client_.perform(req);
  } catch (const http::TransportError& e) {
    throw TelegramError(log::mask_secrets(where + ": " + e.what() + " — check [telegram] api_url and the network"),
                        TelegramError::Kind::kTransient);
  }
  json answer;
  try {
    answer = json::parse(resp.body);
  } catch (const std::exception&) {
    auto kind = resp.status >= 500 || resp.status == 429 ? TelegramError::Kind::kTransient
                : resp.status == 401                     ? TelegramError::Kind::kUnauthorized
                : resp.status == 409                     ? TelegramError::Kind::kConflict
                                                         : TelegramError::Kind::kRejected;
    throw TelegramError(where + ": HTTP " + std::to_string(resp.status) +
                            " with a body that is not Bot API JSON — is [telegram] api_url a Bot API server?",
                        kind);
  }
  if (resp.ok() && answer.is_object() && answer.value("ok", false)) {
    auto it = answer.find("result");
    return it == answer.end() ? json() : *it;
  }
  long code = answer.is_object() ? static_cast<long>(int_or(answer, "error_code", resp.status)) : resp.status;
  std::string description = answer.is_object() ? log::mask_secrets(string_or(answer, "description")) : "";
  std::string text = where + ": HTTP " + std::to_string(code) + (description.empty() ? "" : " " + description);
  if (code == 401 || (code == 404 && method == "getMe"))
    throw TelegramError(text + " — the bot token is not valid: check [telegram] token (or token_file, "
                               "BACKUPBUDDY_TELEGRAM_TOKEN); @BotFather shows the right one",
                        TelegramError::Kind::kUnauthorized);
  if (code == 409)
    throw TelegramError(text + " — another program is reading this bot's updates (a second `backupbuddy bot` "
                               "or a webhook): stop it, or delete the webhook",
                        TelegramError::Kind::kConflict);
  if (code == 429) {
    std::int64_t retry = 0;
    if (answer.is_object())
      if (auto p = answer.find("parameters"); p != answer.end() && p->is_object()) retry = int_or(*p, "retry_after", 0);
    throw TelegramError(text + " — too many requests; waiting", TelegramError::Kind::kTransient,
                        std::chrono::seconds(std::max<std::int64_t>(1, retry)));
  }
  if (code >= 500) throw TelegramError(text, TelegramError::Kind::kTransient);
  throw TelegramError(text, TelegramError::Kind::kRejected);
}

BotIdentity TelegramApi::get_me() {
  json r = call("getMe", json::object());
  BotIdentity id;
  if (r.is_object()) {
    id.id = int_or(r, "id", 0);
    id.username = string_or(r, "username");
  }
  return id;
}

std::vector<RawUpdate> TelegramApi::get_updates(std::int64_t offset, std::chrono::seconds poll_timeout,
                                                const std::function<bool()>& should_cancel) {
  json params{{"timeout", poll_timeout.count()}, {"allowed_updates", json::array({"message", "callback_query"})}};
  if (offset > 0) params["offset"] = offset;
  json r = call("getUpdates", params, std::chrono::duration_cast<std::chrono::milliseconds>(poll_timeout) +
                                          std::chrono::milliseconds{20'000},
                should_cancel);
  std::vector<RawUpdate> out;
  if (!r.is_array()) return out;
  for (const auto& u : r) out.push_back(parse_update(u));
  return out;
}

std::int64_t TelegramApi::send_message(std::int64_t chat_id, const std::string& text, const Keyboard& keyboard) {
  json params{{"chat_id", chat_id}, {"text", fit_message(text)}};
  if (!keyboard.empty()) params["reply_markup"] = inline_keyboard_json(keyboard);
  json r = call("sendMessage", params);
  return r.is_object() ? int_or(r, "message_id", 0) : 0;
}

void TelegramApi::edit_message_text(std::int64_t chat_id, std::int64_t message_id, const std::string& text,
                                    const Keyboard& keyboard) {
  json params{{"chat_id", chat_id}, {"message_id", message_id}, {"text", fit_message(text)}};
  params["reply_markup"] = inline_keyboard_json(keyboard);
  call("editMessageText", params);  // the emulator answers result: null
}

void TelegramApi::answer_callback_query(const std::string& callback_id, const std::string& text) {
  json params{{"callback_query_id", callback_id}};
  if (!text.empty()) params["text"] = fit_message(text);
  call("answerCallbackQuery", params);
}

}  // namespace bb::telegram
