// Prometheus metrics: per database the last run, last success, sizes, backup count and
// last verification, in the Prometheus text format (valid for `promtool check metrics`).
// render_metrics() is pure, so the web console's GET /metrics and the node_exporter
// textfile ([metrics] textfile, written after every run and verification) say the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "state/state.h"
#include "util/time.h"

namespace bb {

// What the store holds for one database.
struct StoredBackups {
  std::size_t count = 0;
  std::uint64_t stored_bytes = 0;
  std::optional<TimePoint> newest;  // the newest backup's time
};

// The metrics text from the state file and the store listing (empty when the store could
// not be listed: its metrics are then left out). Pure.
std::string render_metrics(const std::map<std::string, DatabaseState>& state,
                           const std::optional<std::map<std::string, StoredBackups>>& stored);

// A label value escaped per the Prometheus text format (\\, \", \n). Pure.
std::string prometheus_label_value(std::string_view value);

// The metrics text of now: the state file and a listing of the store (the store's metrics
// are left out, with a warning logged, when it cannot be listed). Throws only when the state
// file cannot be read. Serves GET /metrics and the textfile.
std::string current_metrics(const Config& config);

// Writes [metrics] textfile atomically from the state file and a listing of the store; does
// nothing without [metrics] textfile. Never throws: a failure is logged.
void write_metrics_textfile(const Config& config);

}  // namespace bb
