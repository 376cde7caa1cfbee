// `backupbuddy check`.
#include "cli/check.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/remedy.h"
#include "notify/notifier.h"
#include "notify/telegram.h"
#include "ops/check.h"
#include "util/error.h"

namespace bb {

int cmd_check(const Config& config, bool json, bool notify_test) {
  std::vector<NamedCheck> channels;
  if (config.telegram.enabled()) channels.push_back({"Telegram", [&] { return check_telegram(config.telegram); }});
  // A remedy is worded once, into the line (text and --json alike).
  auto worded = [](CheckItem item) {
    if (std::string advice = cli_remedy_text(item.remedy); !advice.empty()) item.text += " — " + advice;
    return item;
  };
  auto print = [&](const CheckItem& item) {
    if (!json) std::cout << (!item.ok ? "[FAIL] " : item.warning ? "[warn] " : "[ok]   ") << item.text << std::endl;
  };
  std::vector<CheckItem> items;
  run_checks(  // each line printed as soon as it is known
      config,
      [&](const CheckItem& item) {
        items.push_back(worded(item));
        print(items.back());
      },
      channels);
  for (auto& item : channel_check_items(config, notify_test)) {
    item = worded(std::move(item));
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
