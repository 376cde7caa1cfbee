// The console's static files, compiled into the binary (no CDN, works offline).
#pragma once

#include <string_view>

namespace bb::web {

// /static/console.css: the one stylesheet (phone width first).
extern const std::string_view kConsoleCss;
// /static/job.js: polls GET /api/v1/jobs/{id} and updates the job page (the only script).
extern const std::string_view kJobJs;

}  // namespace bb::web
