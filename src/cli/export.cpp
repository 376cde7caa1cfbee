// `backupbuddy export`.
#include "cli/export.h"

#include <iostream>

#include "util/error.h"
#include "util/format.h"
#include "util/log.h"
#include "util/timezone.h"

namespace bb {

int cmd_export(const Config& config, const ExportRequest& request) {
  RunContext ctx(config);
  ExportResult r = export_backup(ctx, request);
  log::info("done: " + (r.output == "-" ? std::string("standard output") : r.output) + " holds " +
            quote_name(r.source) + " as of " + format_local(r.backup_time, resolve_zone(config.backup.timezone)) +
            " (backup " + r.backup_id + ", " + human_bytes(r.bytes) + ", " + human_seconds(r.seconds) +
            "), a plain pg_dump archive: pg_restore -d NEW_DATABASE " + (r.output == "-" ? "FILE" : r.output));
  if (r.output != "-") std::cout << r.output << std::endl;
  return kExitOk;
}

}  // namespace bb
