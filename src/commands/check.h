// `backupbuddy check`: a checklist of everything a backup needs — config, PostgreSQL,
// the configured databases, pg_dump, storage (a put/get/list/multipart/delete probe),
// the state directory. Exit 1 if any item failed.
#pragma once

#include "config/config.h"

namespace bb {

int cmd_check(const Config& config, bool json);

}  // namespace bb
