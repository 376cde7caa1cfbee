// `backupbuddy status`.
#include "cli/status.h"

#include <iostream>
#include <nlohmann/json.hpp>
#include "notify/notifier.h"
#include "state/state.h"
#include "util/error.h"
#include "util/format.h"
#include "util/timezone.h"

namespace bb {

int cmd_status(const Config& config, bool json) {
  StatusReport status = read_status(config);
  const std::string& dir = status.state_dir;
  const auto& state = status.databases;
  const auto* zone = resolve_zone(config.backup.timezone);
  std::map<std::string, Delivery> deliveries = last_deliveries(config);
  auto local = [&](const std::optional<TimePoint>& t) { return t ? format_local(*t, zone) : std::string("never"); };
  if (json) {
    nlohmann::ordered_json j;
    j["state_dir"] = dir;
    j["databases"] = nlohmann::ordered_json::array();
    for (const auto& [db, s] : state)
      j["databases"].push_back({{"database", db}, {"backup_at", format_iso_utc_or_empty(s.backup_at)}, {"backup_ok", s.backup_ok},
                                {"backup_id", s.backup_id}, {"backup_error", s.backup_error},
                                {"dump_bytes", s.dump_bytes}, {"stored_bytes", s.stored_bytes},
                                {"backup_seconds", s.backup_seconds}, {"verified_at", format_iso_utc_or_empty(s.verified_at)},
                                {"verify_ok", s.verify_ok}, {"verified_id", s.verified_id},
                                {"restore_tested", s.restore_tested}, {"verify_error", s.verify_error}});
    j["channels"] = nlohmann::ordered_json::array();
    for (const auto& [name, d] : deliveries)
      j["channels"].push_back({{"channel", name}, {"at", d.at}, {"ok", d.ok}, {"event", d.event},
                               {"error", d.ok ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(d.error)}});
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    return kExitOk;
  }
  // A channel whose last delivery failed: one line each, after the table.
  auto print_failed_channels = [&] {
    for (const auto& [name, d] : deliveries)
      if (!d.ok)
        std::cout << name << ": last delivery FAILED at " << local(parse_iso_utc(d.at)) << " (" << d.event << "): " << d.error << "\n";
  };
  if (state.empty()) {
    std::cout << "no runs recorded yet in " << dir << "/state.json\n";
    print_failed_channels();
    return kExitOk;
  }
  TextTable table({"DATABASE", "LAST RUN", "RESULT", "STORED", "TIME", "LAST VERIFIED", "PROBLEM"});
  for (const auto& [db, s] : state) {
    std::string verified = !s.verified_at ? "never"
                                                 : std::string(s.verify_ok ? "ok " : "FAILED ") + local(s.verified_at) +
                                                       (s.restore_tested ? " (restore test)" : "");
    std::string problem = !s.backup_ok && s.backup_at ? s.backup_error : (!s.verify_ok ? s.verify_error : "");
    table.add({db, local(s.backup_at), !s.backup_at ? "-" : (s.backup_ok ? "ok" : "FAILED"),
               s.backup_ok ? human_bytes(s.stored_bytes) : "-", !s.backup_at ? "-" : human_seconds(s.backup_seconds),
               verified, problem.size() > 100 ? problem.substr(0, 97) + "..." : problem});
  }
  std::cout << table.render();
  print_failed_channels();
  return kExitOk;
}

}  // namespace bb
