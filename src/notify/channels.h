// The e-mail, webhook and heartbeat channels of [[notify]] (docs/notifications.md): each
// hears the outcomes its `on` lists, sends one Notice (notify/notice.h), retries a failed
// delivery `tries` times within `timeout` each, logs what failed and records every
// delivery in the state directory (state/deliveries.h).
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "notify/notifier.h"

namespace bb {

// The channel of [[notify]] entry number `index` (1-based).
std::unique_ptr<Notifier> make_notify_channel(const Config& config, std::size_t index);

// "notify #2: webhook (slack) https://hooks.slack.com/…": no secret in it.
std::string describe_notify_channel(const NotifyChannelConfig& channel, std::size_t index);

}  // namespace bb
