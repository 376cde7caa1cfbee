// DeliveryLog: the last delivery of every notification channel (e-mail, webhook,
// heartbeat), kept in <state_dir>/notify.json so `status` and `check` can show a channel
// that failed. Written like the state file: atomically, under an flock.
#pragma once

#include <map>
#include <string>

namespace bb {

// The last delivery attempt of one channel.
struct Delivery {
  std::string at;     // ISO UTC
  bool ok = false;
  std::string event;  // "run_finished", "test", …
  std::string error;  // why it failed (secrets masked), after every try
};

class DeliveryLog {
 public:
  explicit DeliveryLog(const std::string& state_dir);
  // Every channel's last delivery, by channel description; empty when none yet. A damaged
  // file is treated as empty.
  std::map<std::string, Delivery> load() const;
  // Records one channel's delivery (read-modify-write under the lock).
  void record(const std::string& channel, const Delivery& delivery);

 private:
  std::string path_;
};

// Writes text to path atomically: a temporary file beside it, fsync, rename. Throws Error.
void write_file_atomically(const std::string& path, const std::string& text, const std::string& fix);

}  // namespace bb
