// ByteSink: the sink type every byte stream is handed to (storage reads, zstd, age).
#pragma once

#include <cstddef>
#include <functional>

namespace bb {

// Receives a streamed object's bytes in order.
using ByteSink = std::function<void(const char* data, std::size_t size)>;

}  // namespace bb
