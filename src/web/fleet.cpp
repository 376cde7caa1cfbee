// Run history and the other stores, read from the stores themselves.
#include "web/fleet.h"

#include <memory>
#include <optional>

#include "catalog/keys.h"
#include "notify/report.h"
#include "ops/context.h"
#include "ops/json.h"
#include "ops/list.h"
#include "ops/runs.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"
#include "web/texts.h"

namespace bb::web {
namespace {

using ojson = nlohmann::ordered_json;

// "2 of 3 databases backed up", or "run failed: <why>" for a run that failed as a whole.
std::string outcome_text(const RunRecord& run, const RunTexts& words) {
  std::string text = fill_placeholders(words.backed_up_of, {{"ok", std::to_string(run.backed_up())},
                                                              {"total", std::to_string(run.databases())}});
  if (!run.error.empty()) text = std::string(words.run_failed) + ": " + run.error + " (" + text + ")";
  return text;
}

double run_seconds(const RunRecord& run) {
  return std::chrono::duration<double>(run.finished_at - run.started_at).count();
}

// A run without its per-database details, as lists show it.
ojson run_summary_json(const RunRecord& run) {
  ojson j = run_record_json(run);
  ojson failed = ojson::array();
  for (const auto& r : run.results)
    if (!r.ok) failed.push_back({{"database", r.database}, {"error", r.error}});
  j.erase("format");
  j.erase("format_version");
  j.erase("results");
  j["failed"] = failed;
  j["href"] = "/api/v1" + run_path(run.server, run.id);
  return j;
}

// The newest records of a store, newest first; unreadable ones are skipped with a warning.
std::vector<RunRecord> newest_runs(Storage& storage, std::size_t limit) {
  std::vector<RunRecord> runs;
  for (const auto& key : list_run_keys(storage)) {
    if (runs.size() >= limit) break;
    try {
      runs.push_back(read_run_record(storage, key));
    } catch (const NotFoundError&) {
      // trimmed by its server since the listing
    } catch (const OperationError& e) {
      log::warn(std::string("web: ") + e.what());
    }
  }
  return runs;
}

// One row per run: time, server, outcome, duration, what started it; `linked`: the time
// links to the run's page (this store's runs; another store's reports are not served).
Html runs_table(const std::vector<RunRecord>& runs, const RunTexts& words, Html::Literal attributes, bool linked) {
  Html t;
  t << "<table "_html << attributes << "><thead><tr><th>"_html
    << words.started << "</th><th>"_html << words.server << "</th><th>"_html << words.outcome << "</th><th>"_html
    << words.duration << "</th><th>"_html << words.started_by << "</th></tr></thead><tbody>"_html;
  for (const auto& run : runs) {
    std::string status = !run.ok() ? "failed" : "ok";
    t << "<tr class=\"status-row-"_html << status << "\"><td data-label=\""_html << words.started
      << "\"><span class=\"status status-"_html << status << "\"></span>"_html;
    if (linked)
      t << "<a class=\"run-link\" href=\""_html << run_path(run.server, run.id) << "\">"_html
        << format_time(run.started_at) << "</a>"_html;
    else
      t << format_time(run.started_at);
    t << "</td><td data-label=\""_html << words.server << "\">"_html << run.server << "</td><td data-label=\""_html
      << words.outcome << "\">"_html << outcome_text(run, words) << "</td><td data-label=\""_html << words.duration
      << "\">"_html << human_seconds(run_seconds(run)) << "</td><td data-label=\""_html << words.started_by
      << "\">"_html << run.command << "</td></tr>"_html;
  }
  t << "</tbody></table>"_html;
  return t;
}

// A store read for the dashboard: its overview and last runs, or why it could not be read.
struct StoreView {
  std::string name;
  std::string location;
  std::string error;
  StoreOverview overview;
  std::vector<RunRecord> last_runs;
};

StoreView read_store(const WebStore& store) {
  StoreView view;
  view.name = store.name;
  try {
    std::unique_ptr<Storage> storage = make_storage(store.storage);
    view.location = storage->describe();
    view.overview = store_overview(*storage, store.storage.legacy);
    view.last_runs = last_runs_by_server(*storage);
  } catch (const std::exception& e) {
    view.error = log::mask_secrets(error_text(e));
    log::warn("web: store " + quote_name(store.name) + " cannot be read: " + view.error);
  }
  return view;
}

// One run of this store, named by its page's or endpoint's path. Throws NotFoundError.
RunRecord read_run(const Config& config, const std::string& server, const std::string& id) {
  auto time = parse_run_id(id);
  if (!time) throw NotFoundError("no run " + quote_name(id) + ": a run id looks like 20261124T040000.123Z");
  RunContext ctx(config);
  return read_run_record(ctx.storage(), RunKey{server, id, *time});
}

std::string store_anchor(std::size_t index) { return "store-" + std::to_string(index + 1); }

}  // namespace

std::string run_path(const std::string& server, const std::string& id) {
  return "/runs/" + encode_db_name(server) + "/" + id;
}

Html runs_page(const Config& config, std::size_t limit) {
  const RunTexts& words = run_texts_for(config.web.language);
  RunContext ctx(config);
  std::vector<RunRecord> runs = newest_runs(ctx.storage(), limit);
  Html body;
  body << "<p><a href=\"/\">← "_html << texts_for(config.web.language).back << "</a></p><h1>"_html << words.runs
       << "</h1>"_html;
  if (runs.empty()) body << "<p id=\"no-runs\">"_html << words.no_runs << "</p>"_html;
  else body << runs_table(runs, words, "class=\"responsive\" id=\"runs\""_html, true);
  return body;
}

Html run_page(const Config& config, const std::string& server, const std::string& id) {
  const RunTexts& words = run_texts_for(config.web.language);
  const Texts& texts = texts_for(config.web.language);
  RunRecord run = read_run(config, server, id);
  Html body;
  body << "<p><a href=\"/runs\">← "_html << words.runs << "</a></p><h1 id=\"run-title\">"_html << run.server << " — "_html
       << format_time(run.started_at) << "</h1><p id=\"run-outcome\" class=\""_html << (run.ok() ? "ok" : "error")
       << "\">"_html << outcome_text(run, words) << "</p><p>"_html << words.started_by << ": "_html << run.command
       << " · "_html << words.duration << ": "_html << human_seconds(run_seconds(run)) << "</p><h2>"_html
       << words.report << "</h2><pre id=\"run-report\">"_html << format_run_report(run.results, config.web.language)
       << "</pre><table class=\"responsive\" id=\"run-results\"><thead><tr><th>"_html << texts.database
       << "</th><th>"_html << texts.result << "</th><th>"_html << texts.backup_id << "</th><th>"_html << texts.size
       << "</th></tr></thead><tbody>"_html;
  for (const auto& r : run.results) {
    std::string result = r.ok ? std::string(texts.ok) : std::string(texts.failed) + ": " + r.error;
    body << "<tr><td data-label=\""_html << texts.database << "\">"_html << r.database << "</td><td data-label=\""_html
         << texts.result << "\">"_html << result << "</td><td data-label=\""_html << texts.backup_id << "\">"_html
         << r.id << "</td><td data-label=\""_html << texts.size << "\">"_html << human_bytes(r.stored_bytes)
         << "</td></tr>"_html;
  }
  body << "</tbody></table>"_html;
  return body;
}

Html fleet_sections(const Config& config, const std::vector<RunRecord>& last_runs, const std::string& runs_error) {
  const RunTexts& words = run_texts_for(config.web.language);
  const Texts& texts = texts_for(config.web.language);
  Html out;
  out << "<h2>"_html << words.last_runs << "</h2>"_html;
  if (!runs_error.empty()) out << "<p class=\"error\">"_html << runs_error << "</p>"_html;
  else if (last_runs.empty()) out << "<p>"_html << words.no_runs << "</p>"_html;
  else out << runs_table(last_runs, words, "class=\"responsive\" id=\"last-runs\""_html, true);
  out << "<p><a id=\"all-runs\" href=\"/runs\">"_html << words.all_runs << "</a></p>"_html;
  for (std::size_t i = 0; i < config.web.stores.size(); ++i) {
    StoreView view = read_store(config.web.stores[i]);
    out << "<section class=\"store\" id=\""_html << store_anchor(i) << "\"><h2>"_html << words.store << ": "_html
        << view.name << "</h2>"_html;
    if (!view.location.empty()) out << "<p class=\"note\">"_html << view.location << "</p>"_html;
    if (!view.error.empty()) {
      out << "<p class=\"error store-error\">"_html << words.store_unreadable << ": "_html << view.error
          << "</p></section>"_html;
      continue;
    }
    if (view.overview.databases.empty()) out << "<p>"_html << words.no_backups << "</p>"_html;
    else {
      out << "<table class=\"responsive store-databases\"><thead><tr><th>"_html << texts.database << "</th><th>"_html
          << texts.last_backup << "</th><th>"_html << texts.size << "</th><th>"_html << texts.backups
          << "</th></tr></thead><tbody>"_html;
      for (const auto& d : view.overview.databases)
        out << "<tr><td data-label=\""_html << texts.database << "\">"_html << d.name << "</td><td data-label=\""_html
            << texts.last_backup << "\">"_html << format_time(d.newest.time) << "</td><td data-label=\""_html
            << texts.size << "\">"_html << human_bytes(d.newest.stored_bytes) << "</td><td data-label=\""_html
            << texts.backups << "\">"_html << d.count << "</td></tr>"_html;
      out << "</tbody></table>"_html;
    }
    out << "<h3>"_html << words.last_runs << "</h3>"_html;
    if (view.last_runs.empty()) {
      out << "<p>"_html << words.no_runs << "</p>"_html;
    } else {
      out << runs_table(view.last_runs, words, "class=\"responsive store-runs\""_html, false);
    }
    out << "</section>"_html;
  }
  return out;
}

ojson runs_json(const Config& config, std::size_t limit) {
  RunContext ctx(config);
  ojson runs = ojson::array();
  for (const auto& run : newest_runs(ctx.storage(), limit)) runs.push_back(run_summary_json(run));
  return ojson{{"runs", runs}};
}

ojson run_json(const Config& config, const std::string& server, const std::string& id) {
  RunRecord run = read_run(config, server, id);
  ojson j = run_record_json(run);
  j["report"] = format_run_report(run.results, config.web.language);
  return j;
}

ojson stores_json(const Config& config) {
  ojson stores = ojson::array();
  for (const auto& store : config.web.stores) {
    StoreView view = read_store(store);
    ojson s{{"name", view.name}, {"location", view.location.empty() ? ojson(nullptr) : ojson(view.location)},
            {"error", view.error.empty() ? ojson(nullptr) : ojson(view.error)}};
    ojson overview = overview_json(view.overview);
    s["databases"] = overview["databases"];
    ojson last = ojson::array();
    for (const auto& run : view.last_runs) {
      ojson summary = run_summary_json(run);
      summary.erase("href");  // another store's runs are not served one by one
      last.push_back(summary);
    }
    s["last_runs"] = last;
    stores.push_back(s);
  }
  return ojson{{"stores", stores}};
}

}  // namespace bb::web
