// Many servers, one view: the run history of this store (each run's report), the last run
// of each server, and the other stores of [[web.stores]] (read-only), as page parts and as
// the JSON of /api/v1/runs and /api/v1/stores. Everything is read from the stores: the
// console keeps no database of its own.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "config/config.h"
#include "ops/runs.h"
#include "web/html.h"

namespace bb::web {

// Runs listed by the history page and GET /api/v1/runs unless ?limit= says otherwise.
constexpr std::size_t kRunsShown = 50;

// The history page: this store's runs newest first (time, server, outcome, duration), each
// linking to its report. Throws StorageError when the store cannot be read.
Html runs_page(const Config& config, std::size_t limit);
// One run's page: its report (the words notifications send) and each database's result.
// Throws NotFoundError for a run the store does not hold.
Html run_page(const Config& config, const std::string& server, const std::string& id);
// The dashboard's part after this server's databases: the last run of each server in this
// store (last_runs, or runs_error when the store's records could not be listed), then one
// section per [[web.stores]] entry (its databases and last runs, or the error that kept it
// from being read). Never throws.
Html fleet_sections(const Config& config, const std::vector<RunRecord>& last_runs, const std::string& runs_error);

// GET /api/v1/runs: {"runs": [summary, ...]} newest first.
nlohmann::ordered_json runs_json(const Config& config, std::size_t limit);
// GET /api/v1/runs/{server}/{id}: the stored record plus "report". Throws NotFoundError.
nlohmann::ordered_json run_json(const Config& config, const std::string& server, const std::string& id);
// GET /api/v1/stores: every [[web.stores]] entry with its databases and last runs, or its error.
nlohmann::ordered_json stores_json(const Config& config);

// The path of a run's page: /runs/<server, percent-encoded>/<id>.
std::string run_path(const std::string& server, const std::string& id);
// What the route pattern for a run matches after the prefix: (server)/(run id).
constexpr const char* kRunPathPattern = "(.+)/([0-9]{8}T[0-9]{6}\\.[0-9]{3}Z)";

}  // namespace bb::web
