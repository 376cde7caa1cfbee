// S3 error mapping: one table from S3 error codes to the user's next step.
#include "storage/s3/s3_error.h"

#include "util/error.h"

namespace bb::s3 {
namespace {

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

// "HTTP 404 NoSuchBucket" (or "HTTP 502" when the body had no S3 error code).
std::string status_text(long status, const std::optional<ErrorInfo>& info) {
  std::string out = "HTTP " + std::to_string(status);
  if (info && !info->code.empty()) out += " " + info->code;
  return out;
}

// The server's own explanation, when it adds something beyond the code.
std::string detail(const std::optional<ErrorInfo>& info) {
  if (!info || info->message.empty()) return "";
  return " (" + info->message + ")";
}

}  // namespace

bool is_transient(long status, const std::string& code) {
  // 501 NotImplemented is a provider's permanent answer, not a passing fault.
  if (status == 501 || code == "NotImplemented") return false;
  if (status >= 500 || status == 429) return true;
  return code == "SlowDown" || code == "RequestTimeout" || code == "InternalError" ||
         code == "ServiceUnavailable" || code == "Throttling";
}

std::string error_message(const RequestContext& c, long status,
                          const std::optional<ErrorInfo>& info) {
  const std::string code = info ? info->code : "";
  const std::string where = " at " + c.endpoint + ": " + status_text(status, info);
  const std::string bucket = quoted(c.bucket);
  const std::string object = c.key.empty() ? "" : "object " + quoted(c.key) + " in ";

  if (code == "NoSuchBucket")
    return "S3: bucket " + bucket + " not found" + where + " — check storage.bucket";
  if (code == "NoSuchKey" || (status == 404 && code.empty() && !c.key.empty()))
    return "S3: " + object + "bucket " + bucket + " not found" + where;
  if (code == "NoSuchUpload")
    return "S3: multipart upload of " + object + "bucket " + bucket + " no longer exists" + where +
           " — it was completed or aborted elsewhere";
  if (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" ||
      code == "InvalidSecurity" || (status == 401) || (status == 403 && code.empty()))
    return "S3: access denied to bucket " + bucket + where +
           " — check storage.access_key_id / secret_access_key";
  if (code == "AccessDenied" || code == "AllAccessDisabled")
    return "S3: access denied to " + object + "bucket " + bucket + where + detail(info) +
           " — check storage.access_key_id / secret_access_key and that this key may " + c.action +
           " in the bucket";
  if (code == "RequestTimeTooSkewed")
    return "S3: request time rejected by " + c.endpoint + ": " + status_text(status, info) +
           " — the system clock is off; sync it (NTP)";
  if (code == "AuthorizationHeaderMalformed" || code == "PermanentRedirect" ||
      code == "IllegalLocationConstraintException" || status == 301 || status == 307)
    return "S3: bucket " + bucket + " answered with a redirect or region error" + where +
           detail(info) + " — check storage.region, storage.endpoint and storage.path_style";
  if (code == "EntityTooSmall")
    return "S3: " + c.action + " of " + object + "bucket " + bucket + " refused" + where +
           detail(info) + " — a part below 5 MiB; raise storage.part_size";
  if (code == "EntityTooLarge")
    return "S3: " + c.action + " of " + object + "bucket " + bucket + " refused" + where +
           detail(info) + " — the object or part is too large; check storage.part_size";
  if (code == "XAmzContentSHA256Mismatch" || code == "BadDigest" || code == "InvalidDigest")
    return "S3: " + c.action + " of " + object + "bucket " + bucket +
           " failed: body checksum rejected" + where + detail(info) +
           " — data was corrupted in transit; retry";
  if (code == "NotImplemented" || status == 501 || status == 405)
    return "S3: " + c.action + " is not supported by the server" + where + detail(info) +
           " — the provider lacks this S3 call; check storage.endpoint";
  if (is_transient(status, code))
    return "S3: " + c.action + " of " + object + "bucket " + bucket + " failed" + where +
           detail(info) + " — the service is unavailable or throttling; try again later";
  return "S3: " + c.action + " of " + object + "bucket " + bucket + " failed" + where +
         detail(info);
}

void throw_error(const RequestContext& context, long status,
                 const std::optional<ErrorInfo>& info) {
  std::string message = error_message(context, status, info);
  const std::string code = info ? info->code : "";
  if (code == "NoSuchKey" || (status == 404 && code.empty() && !context.key.empty()))
    throw NotFoundError(message);
  throw StorageError(message, is_transient(status, code), static_cast<int>(status));
}

}  // namespace bb::s3
