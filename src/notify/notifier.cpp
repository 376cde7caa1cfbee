// The configured channels.
#include "notify/notifier.h"

#include <thread>

#include "notify/channels.h"
#include "notify/telegram.h"
#include "state/state.h"
#include "util/log.h"
#include "util/timezone.h"

namespace bb {
namespace {

// Runs one event on every channel at once and waits for all of them: a dead receiver
// delays the others by nothing.
template <typename Event>
void on_every_channel(std::vector<std::unique_ptr<Notifier>>& channels, const Event& event) {
  if (channels.size() == 1) {
    event(*channels.front());
    return;
  }
  std::vector<std::thread> threads;
  for (auto& c : channels) threads.emplace_back([&event, &c] { event(*c); });
  for (auto& t : threads) t.join();
}

}  // namespace

Notifiers::Notifiers(const Config& config) {
  if (auto telegram = make_telegram_notifier(config)) channels_.push_back(std::move(telegram));
  for (std::size_t i = 1; i <= config.notify.size(); ++i) channels_.push_back(make_notify_channel(config, i));
}

Notifiers::~Notifiers() { wait_pending(); }

void Notifiers::wait_pending() {
  std::vector<std::future<void>> pending;
  {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    pending.swap(pending_);
  }
  for (auto& f : pending) f.wait();
}

void Notifiers::run_started() {
  on_every_channel(channels_, [](Notifier& c) { c.run_started(); });
}

void Notifiers::run_finished(const std::vector<BackupResult>& results) {
  wait_pending();
  if (results.empty()) return;
  on_every_channel(channels_, [&](Notifier& c) { c.run_finished(results); });
}

void Notifiers::backup_failed(const BackupResult& result) {
  if (channels_.empty()) return;
  std::lock_guard<std::mutex> lock(pending_mutex_);
  pending_.push_back(std::async(std::launch::async, [this, result] {
    on_every_channel(channels_, [&](Notifier& c) { c.backup_failed(result); });
  }));
}

void Notifiers::drill_finished(const std::vector<VerifyResult>& results) {
  wait_pending();
  if (results.empty()) return;
  on_every_channel(channels_, [&](Notifier& c) { c.drill_finished(results); });
}

void Notifiers::alert(const std::string& text) {
  wait_pending();
  on_every_channel(channels_, [&](Notifier& c) { c.alert(text); });
}

void Notifiers::send_test() {
  for (const auto& t : test_all())
    if (!t.ok) log::warn("test message to " + t.channel + " failed: " + t.detail);
}

std::vector<ChannelTest> Notifiers::test_all() {
  std::vector<ChannelTest> out(channels_.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < channels_.size(); ++i)
    threads.emplace_back([this, i, &out] {
      out[i].channel = channels_[i]->name();
      try {
        channels_[i]->send_test();
        out[i].ok = true;
      } catch (const std::exception& e) {
        out[i].detail = log::mask_secrets(e.what());
      }
    });
  for (auto& t : threads) t.join();
  return out;
}

std::vector<std::string> notify_channel_names(const Config& config) {
  std::vector<std::string> out;
  for (std::size_t i = 1; i <= config.notify.size(); ++i)
    out.push_back(describe_notify_channel(config.notify[i - 1], i));
  return out;
}

std::map<std::string, Delivery> last_deliveries(const Config& config) {
  std::map<std::string, Delivery> out;
  if (config.notify.empty()) return out;
  std::map<std::string, Delivery> all;
  try {
    all = DeliveryLog(state_directory(config.backup.state_dir)).load();
  } catch (const std::exception& e) {
    log::warn(std::string("cannot read the delivery log: ") + e.what());
  }
  for (const auto& name : notify_channel_names(config))
    if (auto it = all.find(name); it != all.end()) out[name] = it->second;
  return out;
}

std::vector<CheckItem> channel_check_items(const Config& config, bool send_test) {
  std::vector<CheckItem> out;
  const auto* zone = resolve_zone(config.backup.timezone);
  auto local = [&](const std::string& iso) { return format_local(parse_user_time(iso, zone), zone); };
  if (send_test) {
    for (const auto& t : Notifiers(config).test_all())
      out.push_back({t.ok, t.channel + (t.ok ? ": test message sent" : ": test message FAILED: " + t.detail), false});
    if (out.empty())
      out.push_back({true, "notifications: no channel configured ([telegram] with notify, [[notify]])", true});
    return out;
  }
  auto last = last_deliveries(config);
  for (const auto& name : notify_channel_names(config)) {
    auto it = last.find(name);
    if (it == last.end())
      out.push_back({true, name + ": nothing sent yet", false, Remedy::kTestChannels});
    else if (it->second.ok)
      out.push_back({true, name + ": last delivery ok at " + local(it->second.at) + " (" + it->second.event + ")", false});
    else
      out.push_back({true, name + ": last delivery FAILED at " + local(it->second.at) + " (" + it->second.event +
                               "): " + it->second.error, true, Remedy::kTestChannels});
  }
  return out;
}

}  // namespace bb
