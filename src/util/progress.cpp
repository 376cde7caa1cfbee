// Progress display.
#include "util/progress.h"

#include <unistd.h>

#include <cstdio>

#include "util/format.h"
#include "util/log.h"

namespace bb {

Progress::Progress(std::string label, std::uint64_t total_hint, ProgressCallback callback)
    : label_(std::move(label)),
      total_(total_hint),
      callback_(std::move(callback)),
      tty_(isatty(STDERR_FILENO) && log::level() <= log::Level::kInfo),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_),
      last_log_(start_),
      last_callback_(start_),
      last_change_(start_) {}

Progress::~Progress() { finish(); }

void Progress::update(std::uint64_t done, const std::string& detail) {
  auto now = std::chrono::steady_clock::now();
  if (callback_ && now - last_callback_ >= std::chrono::seconds(2)) {
    last_callback_ = now;
    callback_(done, total_);
  }
  bool draw = tty_ ? now - last_draw_ >= std::chrono::milliseconds(250) : now - last_log_ >= std::chrono::seconds(30);
  if (!draw) return;
  if (done != last_done_) {
    last_done_ = done;
    last_change_ = now;
  }
  bool stalled = now - last_change_ >= std::chrono::seconds(5);
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? done / secs : 0;
  std::string text = label_ + ": " + human_bytes(done);
  if (total_ > 0 && done <= total_) {
    char pct[16];
    std::snprintf(pct, sizeof pct, " (%d%%)", static_cast<int>(100.0 * done / total_));
    text += pct;
  }
  if (!stalled) {
    text += ", " + human_bytes(static_cast<std::uint64_t>(rate)) + "/s";
    if (total_ > done && rate > 0) text += ", about " + human_seconds((total_ - done) / rate) + " left";
  } else {
    text += ", no progress for " + human_seconds(std::chrono::duration<double>(now - last_change_).count());
  }
  if (!detail.empty()) text += ", " + detail;
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    std::fflush(stderr);
    drawn_ = true;
    last_draw_ = now;
  } else {
    log::info(text);
    last_log_ = now;
  }
}

void Progress::finish() {
  if (drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace bb
