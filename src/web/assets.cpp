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
th{font-size:.8rem;color:#5b6475;text-transform:uppercase}
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
      detail.textContent = job.result && job.result.database ? words.archive + ": " + job.result.database : "";
      detail.className = "";
    } else if (job.state === "failed") {
      detail.textContent = job.reason || "";
      detail.className = "error";
    }
    page.setAttribute("data-state", job.state);
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
