// `backupbuddy export`: a backup as the plain pg_dump archive (checksum verified,
// decrypted, decompressed) in a file or on standard output, for pg_restore anywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ops/context.h"
#include "util/progress.h"
#include "util/time.h"

namespace bb {

struct ExportRequest {
  std::string source;                  // the database whose backup is exported
  std::optional<std::string> backup_id;
  std::optional<std::string> at;       // a time as typed by the user
  std::string output;                  // a file path, or "-" for standard output
};

struct ExportResult {
  std::string source;
  std::string backup_id;
  TimePoint backup_time{};
  std::string output;
  std::uint64_t bytes = 0;  // archive bytes written
  double seconds = 0;
};

// Writes the archive. A file is written under a temporary name beside it and renamed only
// once the whole object matched its checksum: a partial file is never left under `output`.
// An existing file is refused (OperationError). On standard output, bytes go out as they
// are read; a checksum mismatch then fails the command (exit 1) after them.
ExportResult export_backup(RunContext& ctx, const ExportRequest& request, const ProgressCallback& progress = {});

}  // namespace bb
