// S3 XML documents parsed and written with pugixml. Element names are matched
// without regard to a namespace prefix; S3 answers use the default namespace.
#include "storage/s3/s3_xml.h"

#include <pugixml.hpp>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <iomanip>
#include <ctime>
#include <sstream>

#include "util/error.h"

namespace bb::s3 {
namespace {

pugi::xml_document load(std::string_view body, const char* what) {
  pugi::xml_document doc;
  auto result = doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!result)
    throw StorageError(std::string("S3: malformed ") + what + " answer: " + result.description() +
                           " — the endpoint may not be S3-compatible (check storage.endpoint)",
                       true);
  return doc;
}

pugi::xml_node root(const pugi::xml_document& doc, const char* name, const char* what) {
  pugi::xml_node node = doc.document_element();
  if (!node || std::string_view(node.name()) != name)
    throw StorageError(std::string("S3: unexpected ") + what + " answer (root element <" +
                           (node ? node.name() : "") + ">, expected <" + name +
                           ">) — check storage.endpoint",
                       true);
  return node;
}

std::string text(pugi::xml_node parent, const char* name) {
  return parent.child(name).text().as_string();
}

bool is_true(pugi::xml_node parent, const char* name) { return text(parent, name) == "true"; }

std::uint64_t parse_size(const std::string& value) {
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(value.c_str(), &end, 10);
  if (value.empty() || !std::isdigit(static_cast<unsigned char>(value[0])) || *end != '\0' || errno == ERANGE)
    throw StorageError("S3: bad object size \"" + value + "\" in listing");
  return n;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\r': out += "&#13;"; break;
      case '\n': out += "&#10;"; break;
      case '\t': out += "&#9;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::optional<ErrorInfo> parse_error(std::string_view body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return std::nullopt;
  pugi::xml_node node = doc.document_element();
  if (!node || std::string_view(node.name()) != "Error") return std::nullopt;
  ErrorInfo info;
  info.code = text(node, "Code");
  info.message = text(node, "Message");
  info.resource = text(node, "Resource");
  info.request_id = text(node, "RequestId");
  return info;
}

ListPage parse_list_objects(std::string_view body) {
  auto doc = load(body, "ListObjectsV2");
  auto result = root(doc, "ListBucketResult", "ListObjectsV2");
  ListPage page;
  page.truncated = is_true(result, "IsTruncated");
  page.next_continuation_token = text(result, "NextContinuationToken");
  for (pugi::xml_node c : result.children("Contents")) {
    ObjectInfo info;
    info.key = text(c, "Key");
    info.size = parse_size(text(c, "Size"));
    std::string modified = text(c, "LastModified");
    if (!modified.empty()) info.last_modified = parse_iso8601(modified);
    page.objects.push_back(std::move(info));
  }
  if (page.truncated && page.next_continuation_token.empty())
    throw StorageError("S3: truncated ListObjectsV2 answer without NextContinuationToken");
  return page;
}

UploadsPage parse_list_uploads(std::string_view body) {
  auto doc = load(body, "ListMultipartUploads");
  auto result = root(doc, "ListMultipartUploadsResult", "ListMultipartUploads");
  UploadsPage page;
  page.truncated = is_true(result, "IsTruncated");
  page.next_key_marker = text(result, "NextKeyMarker");
  page.next_upload_id_marker = text(result, "NextUploadIdMarker");
  for (pugi::xml_node u : result.children("Upload")) {
    PendingUpload upload;
    upload.key = text(u, "Key");
    upload.upload_id = text(u, "UploadId");
    std::string initiated = text(u, "Initiated");
    if (!initiated.empty()) upload.initiated = parse_iso8601(initiated);
    page.uploads.push_back(std::move(upload));
  }
  return page;
}

std::string parse_initiate_upload(std::string_view body) {
  auto doc = load(body, "CreateMultipartUpload");
  auto result = root(doc, "InitiateMultipartUploadResult", "CreateMultipartUpload");
  std::string id = text(result, "UploadId");
  if (id.empty()) throw StorageError("S3: CreateMultipartUpload answer without UploadId", true);
  return id;
}

std::vector<DeleteFailure> parse_delete_result(std::string_view body) {
  auto doc = load(body, "DeleteObjects");
  auto result = root(doc, "DeleteResult", "DeleteObjects");
  std::vector<DeleteFailure> failures;
  for (pugi::xml_node e : result.children("Error"))
    failures.push_back({text(e, "Key"), text(e, "Code"), text(e, "Message")});
  return failures;
}

std::string complete_upload_xml(const std::vector<CompletedPart>& parts) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUpload>";
  for (const auto& part : parts) {
    out += "<Part><PartNumber>" + std::to_string(part.part_number) + "</PartNumber><ETag>" +
           xml_escape(part.etag) + "</ETag></Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

std::string delete_objects_xml(const std::vector<std::string>& keys) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete><Quiet>true</Quiet>";
  for (const auto& key : keys) out += "<Object><Key>" + xml_escape(key) + "</Key></Object>";
  out += "</Delete>";
  return out;
}

std::chrono::system_clock::time_point parse_iso8601(std::string_view text) {
  std::tm tm{};
  std::string s(text);
  std::istringstream in(s);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  // Years outside 1970..2200 are no real object's and would overflow the clock type.
  if (in.fail() || tm.tm_year < 70 || tm.tm_year > 300) throw StorageError("S3: bad timestamp \"" + s + "\" in answer");
  std::time_t seconds = timegm(&tm);
  auto point = std::chrono::system_clock::from_time_t(seconds);
  // Optional fraction ".123" before the zone designator.
  if (in.peek() == '.') {
    in.get();
    std::string digits;
    while (std::isdigit(in.peek())) digits += static_cast<char>(in.get());
    digits = (digits + "000").substr(0, 3);
    point += std::chrono::milliseconds(std::stoi(digits));
  }
  return point;
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  std::tm tm{};
  std::string s(text);
  std::istringstream in(s);
  in.imbue(std::locale::classic());
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S");
  if (in.fail() || tm.tm_year < 70 || tm.tm_year > 300) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace bb::s3
