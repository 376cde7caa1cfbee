// Storage factory: the configured driver.
#include "storage/storage.h"

#include "config/config.h"
#include "storage/local.h"
#include "storage/s3/s3_storage.h"

namespace bb {

std::unique_ptr<Storage> make_storage(const StorageConfig& cfg) {
  if (cfg.type == StorageType::kS3) return make_s3_storage(cfg);
  return make_local_storage(cfg.path, cfg.prefix);
}

}  // namespace bb
