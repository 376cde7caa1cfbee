// S3 XML documents, pure: parsing the answers BackupBuddy reads (ListBucketResult,
// ListMultipartUploadsResult, InitiateMultipartUploadResult, DeleteResult, Error) and
// writing the bodies it sends (CompleteMultipartUpload, Delete). Parse failures throw
// StorageError naming the document.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/storage.h"

namespace bb::s3 {

// An S3 <Error> document's fields (empty when the answer had no parseable body).
struct ErrorInfo {
  std::string code;  // e.g. "NoSuchBucket", "SignatureDoesNotMatch"
  std::string message;
  std::string resource;
  std::string request_id;
};

// One page of ListObjectsV2. Keys are full keys (with the configured prefix).
struct ListPage {
  std::vector<ObjectInfo> objects;
  bool truncated = false;
  std::string next_continuation_token;
};

// One page of ListMultipartUploads. Keys are full keys.
struct UploadsPage {
  std::vector<PendingUpload> uploads;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};

// One failed key of a DeleteObjects answer.
struct DeleteFailure {
  std::string key;
  std::string code;
  std::string message;
};

// One uploaded part, for CompleteMultipartUpload.
struct CompletedPart {
  int part_number = 0;
  std::string etag;  // as the UploadPart answer gave it (with quotes)
};

// Parses an <Error> document; nullopt when body is not one (empty, HTML, ...).
std::optional<ErrorInfo> parse_error(std::string_view body);

// Parses a ListBucketResult (ListObjectsV2).
ListPage parse_list_objects(std::string_view body);

// Parses a ListMultipartUploadsResult.
UploadsPage parse_list_uploads(std::string_view body);

// The UploadId of an InitiateMultipartUploadResult.
std::string parse_initiate_upload(std::string_view body);

// The per-key failures of a DeleteResult (empty when every key was deleted).
std::vector<DeleteFailure> parse_delete_result(std::string_view body);

// The body of a CompleteMultipartUpload request (parts in the given order).
std::string complete_upload_xml(const std::vector<CompletedPart>& parts);

// The body of a quiet DeleteObjects request for these full keys (at most 1,000).
std::string delete_objects_xml(const std::vector<std::string>& keys);

// "2009-10-12T17:50:30.000Z" -> time point. Throws StorageError when malformed.
std::chrono::system_clock::time_point parse_iso8601(std::string_view text);

// "Wed, 21 Oct 2015 07:28:00 GMT" (Last-Modified header) -> time point, or nullopt.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

}  // namespace bb::s3
