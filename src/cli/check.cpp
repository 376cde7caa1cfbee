// `backupbuddy check`.
#include "cli/check.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "notify/notifier.h"
#include "notify/telegram.h"
#include "ops/check.h"
#include "util/error.h"
#include "util/timezone.h"

namespace bb {

namespace {

// The notification channels: with notify_test a test message on each (ok or FAIL); else
// each [[notify]] channel's last delivery (a failed one is a warning).
std::vector<CheckItem> channel_items(const Config& config, bool notify_test) {
  std::vector<CheckItem> out;
  const auto* zone = resolve_zone(config.backup.timezone);
  auto local = [&](const std::string& iso) { return format_local(parse_user_time(iso, zone), zone); };
  if (notify_test) {
    for (const auto& t : Notifiers(config).test_all())
      out.push_back({t.ok, t.channel + (t.ok ? ": test message sent" : ": test message FAILED: " + t.detail), false});
    if (out.empty())
      out.push_back({true, "notifications: no channel configured ([telegram] with notify, [[notify]])", true});
    return out;
  }
  auto last = last_deliveries(config);
  for (const auto& name : notify_channel_names(config)) {
    auto it = last.find(name);
    if (it == last.end())
      out.push_back({true, name + ": nothing sent yet — `backupbuddy check --notify` sends a test message", false});
    else if (it->second.ok)
      out.push_back({true, name + ": last delivery ok at " + local(it->second.at) + " (" + it->second.event + ")", false});
    else
      out.push_back({true, name + ": last delivery FAILED at " + local(it->second.at) + " (" + it->second.event +
                               "): " + it->second.error + " — fix it, then `backupbuddy check --notify`", true});
  }
  return out;
}

}  // namespace

int cmd_check(const Config& config, bool json, bool notify_test) {
  std::vector<NamedCheck> channels;
  if (config.telegram.enabled()) channels.push_back({"Telegram", [&] { return check_telegram(config.telegram); }});
  auto print = [&](const CheckItem& item) {
    if (!json) std::cout << (!item.ok ? "[FAIL] " : item.warning ? "[warn] " : "[ok]   ") << item.text << std::endl;
  };
  std::vector<CheckItem> items = run_checks(config, print, channels);
  for (auto& item : channel_items(config, notify_test)) {
    print(item);
    items.push_back(std::move(item));
  }
  int failed = 0;
  std::vector<std::string> warnings;
  for (const auto& i : items) {
    failed += i.ok ? 0 : 1;
    if (i.warning) warnings.push_back(i.text);
  }
  if (json) {
    nlohmann::ordered_json j;
    j["ok"] = failed == 0;
    j["checks"] = nlohmann::ordered_json::array();
    for (const auto& i : items) j["checks"].push_back({{"ok", i.ok}, {"text", i.text}, {"warning", i.warning}});
    j["warnings"] = warnings;
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else {
    std::string with_warnings =
        warnings.empty() ? "" : ", but see the " + std::to_string(warnings.size()) + " warning(s) above";
    std::cout << (failed == 0 ? "everything needed for a backup works" + with_warnings + "\n"
                              : std::to_string(failed) + " check(s) FAILED — fix them before relying on backups\n");
  }
  return failed == 0 ? kExitOk : kExitFailed;
}

}  // namespace bb
