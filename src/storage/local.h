// Local-folder storage driver: objects are files under <root>/<prefix><key>. Writes go
// to a temp file beside the final name and are renamed into place on commit (after
// fsync), so a crash or a full disk never leaves a half file under a final name.
#pragma once

#include <memory>
#include <string>

#include "storage/storage.h"

namespace bb {

// Opens the folder storage rooted at root (storage.path; created on first write) with
// prefix ("" or "dir/"; a missing trailing '/' is added). Throws StorageError on an
// empty root or a prefix with ".." components.
std::unique_ptr<Storage> make_local_storage(const std::string& root, const std::string& prefix);

}  // namespace bb
