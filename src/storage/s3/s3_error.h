// S3 error answers turned into BackupBuddy errors, pure: which failures are worth a
// retry, and a message that says what failed, where, and what to check. Messages
// name the bucket, key and endpoint, never a credential.
#pragma once

#include <optional>
#include <string>

#include "storage/s3/s3_xml.h"

namespace bb::s3 {

// What a request was about, for messages.
struct RequestContext {
  std::string action;    // e.g. "PUT", "GET", "list", "CompleteMultipartUpload"
  std::string bucket;
  std::string key;       // full key, or "" for bucket-level requests
  std::string endpoint;  // as configured, e.g. "https://s3.timeweb.cloud"
};

// True for answers worth retrying: 5xx, 429, and the throttling/timeout codes
// (SlowDown, RequestTimeout, InternalError, ServiceUnavailable).
bool is_transient(long status, const std::string& code);

// The message for a failed answer, e.g.
// S3: bucket "x" not found at http://h: HTTP 404 NoSuchBucket — check storage.bucket
std::string error_message(const RequestContext& context, long status,
                          const std::optional<ErrorInfo>& info);

// Throws NotFoundError (missing key) or StorageError (everything else, flagged
// transient per is_transient) for a failed answer.
[[noreturn]] void throw_error(const RequestContext& context, long status,
                              const std::optional<ErrorInfo>& info);

}  // namespace bb::s3
