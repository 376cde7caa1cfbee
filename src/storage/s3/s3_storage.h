// S3 storage driver: the Storage interface on any S3-compatible service (AWS,
// Timeweb, Yandex, Selectel, VK, MinIO, ...), with streaming multipart uploads.
#pragma once

#include <memory>

#include "config/config.h"
#include "storage/storage.h"

namespace bb {

// Opens the S3 driver for config (type s3). Validates the settings (ConfigError);
// does not contact the server yet.
std::unique_ptr<Storage> make_s3_storage(const StorageConfig& config);

}  // namespace bb
