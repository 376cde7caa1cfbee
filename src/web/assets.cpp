// The stylesheet and the job page's script.
#include "web/assets.h"

namespace bb::web {

const std::string_view kConsoleCss = R"CSS(
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#1d2330;color:#fff;padding:.6rem 1rem;display:flex;justify-content:space-between;align-items:center;flex-wrap:wrap;gap:.5rem}
header a{color:#fff;text-decoration:none;font-weight:600}
header form{margin:0}
main{padding:1rem;max-width:60rem;margin:0 auto}
h1{font-size:1.3rem;word-break:break-all}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{padding:.45rem .5rem;border-bottom:1px solid #e1e4ea;text-align:left;vertical-align:top;word-break:break-word}
th{font-size:.8rem;color:#5b6475;text-transform:uppercase;word-break:normal;overflow-wrap:normal}
.status{display:inline-block;width:.8rem;height:.8rem;border-radius:50%;margin-right:.3rem;vertical-align:middle}
.status-ok{background:#2e9d4f}.status-failed{background:#d13b3b}.status-unknown{background:#a0a7b4}
.card{background:#fff;padding:1rem;border-radius:.4rem;margin:1rem 0;box-shadow:0 1px 2px #0001}
label{display:block;margin:.5rem 0 .2rem}
input[type=text],input[type=password]{width:100%;max-width:22rem;padding:.5rem;font-size:1rem}
button{padding:.5rem 1rem;font-size:1rem;border:0;border-radius:.3rem;background:#2557d6;color:#fff;cursor:pointer}
button.secondary{background:#5b6475}
.error{color:#b02a2a;font-weight:600}
.note{color:#5b6475}
.note,.store-error{overflow-wrap:anywhere}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f6fa;padding:.6rem}
progress{width:100%;height:1.4rem}
nav{display:flex;gap:1rem;flex-wrap:wrap}
.ok{color:#2e7d32;font-weight:600}
.chart{display:block;max-width:100%;height:auto}
.chart-large{width:100%;background:#fff}
.chart-duration .chart-line{stroke:#b5590f}
.checklist{list-style:none;padding:0}
.checklist li{background:#fff;margin:.3rem 0;padding:.5rem;border-left:.3rem solid #a0a7b4;word-break:break-word}
.checklist li.check-ok{border-color:#2e9d4f}.checklist li.check-failed{border-color:#d13b3b}.checklist li.check-warning{border-color:#d6a125}
.remedy{display:block;color:#5b6475}
form.inline{display:inline}
@media (max-width:40rem){
  table.responsive thead{display:none}
  table.responsive tr{display:block;border-bottom:2px solid #e1e4ea;padding:.3rem 0}
  table.responsive td{display:block;border:0;padding:.15rem .5rem}
  table.responsive td::before{content:attr(data-label) ": ";color:#5b6475;font-size:.8rem}
}
)CSS";

const std::string_view kJobJs = R"JS(
"use strict";
(function () {
  var page = document.getElementById("job");
  if (!page) return;
  var id = page.getAttribute("data-job");
  var words = JSON.parse(page.getAttribute("data-words"));
  var state = document.getElementById("job-state");
  var bar = document.getElementById("job-progress");
  var detail = document.getElementById("job-detail");
  function show(job) {
    state.textContent = words[job.state] || job.state;
    if (job.state === "queued" && job.position) state.textContent += " (" + words.position + ": " + job.position + ")";
    if (job.progress && job.progress.total > 0) {
      bar.max = job.progress.total;
      bar.value = job.progress.done;
    } else if (job.state === "done") {
      bar.max = 1; bar.value = 1;
    } else {
      bar.removeAttribute("value");
    }
    if (job.state === "done") {
      var r = job.result || {};
      if (job.kind === "verify") {
        detail.textContent = fill(words.verified_ok, r);
      } else {
        detail.textContent = job.kind === "restore" && r.database ? words.archive + ": " + r.database : "";
      }
      detail.className = "";
      if (r.row_check) rowCheck(r.row_check);
    } else if (job.state === "failed") {
      detail.textContent = job.reason || "";
      detail.className = "error";
    }
    page.setAttribute("data-state", job.state);
  }
  // "{tables} tables, {rows} rows" with the values of obj.
  function fill(template, obj) {
    return template.replace(/\{(\w+)\}/g, function (m, key) { return obj[key] === undefined ? m : String(obj[key]); });
  }
  // The restore's row check: all as in the backup, the tables that differ, or why not checked.
  function rowCheck(check) {
    var line = document.getElementById("row-check");
    if (!line) return;
    if (!check.checked) {
      line.textContent = words.rows_not_checked + (check.reason ? ": " + check.reason : "");
      line.className = "note";
    } else if (!check.mismatched || check.mismatched.length === 0) {
      line.textContent = fill(words.rows_all_match, check);
      line.className = "ok";
    } else {
      line.textContent = words.rows_differ + ": " + check.mismatched.map(function (m) {
        return m.schema + "." + m.table + " (" + m.expected + " / " + (m.found === null ? "-" : m.found) + ")";
      }).join(", ");
      line.className = "error";
    }
  }
  function poll() {
    fetch("/api/v1/jobs/" + encodeURIComponent(id), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (job) {
        show(job);
        if (job.state !== "done" && job.state !== "failed") setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
)JS";

}  // namespace bb::web
