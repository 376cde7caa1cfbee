// Unit tests of the S3 XML documents (storage/s3/s3_xml): parsing real-shaped answers
// and writing request bodies. No server.
#include "storage/s3/s3_xml.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace bb::s3 {
namespace {

using namespace std::chrono;

TEST(S3Xml, ParsesErrorDocument) {
  auto info = parse_error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code>"
      "<Message>The specified bucket does not exist</Message><Resource>/nope</Resource>"
      "<RequestId>4442587FB7D0A2F9</RequestId></Error>");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->code, "NoSuchBucket");
  EXPECT_EQ(info->message, "The specified bucket does not exist");
  EXPECT_EQ(info->resource, "/nope");
  EXPECT_EQ(info->request_id, "4442587FB7D0A2F9");
}

TEST(S3Xml, NonErrorBodiesAreNotErrors) {
  EXPECT_FALSE(parse_error(""));
  EXPECT_FALSE(parse_error("<html><body>502 Bad Gateway</body></html>"));
  EXPECT_FALSE(parse_error("not xml at all"));
  EXPECT_FALSE(parse_error("<CompleteMultipartUploadResult><ETag>\"x\"</ETag>"
                           "</CompleteMultipartUploadResult>"));
}

TEST(S3Xml, ParsesListObjectsV2Page) {
  auto page = parse_list_objects(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>b</Name><Prefix>pg/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>tok+/=</NextContinuationToken>"
      "<Contents><Key>pg/db/a &amp; b.json</Key><LastModified>2024-03-05T10:20:30.250Z</LastModified>"
      "<ETag>\"abc\"</ETag><Size>123</Size><StorageClass>STANDARD</StorageClass></Contents>"
      "<Contents><Key>pg/база/x</Key><LastModified>2024-03-05T10:20:31Z</LastModified>"
      "<Size>5368709120</Size></Contents>"
      "</ListBucketResult>");
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.next_continuation_token, "tok+/=");
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_EQ(page.objects[0].key, "pg/db/a & b.json");
  EXPECT_EQ(page.objects[0].size, 123u);
  EXPECT_EQ(duration_cast<milliseconds>(page.objects[0].last_modified.time_since_epoch()).count(),
            1709634030250);
  EXPECT_EQ(page.objects[1].key, "pg/база/x");
  EXPECT_EQ(page.objects[1].size, 5368709120u);
}

TEST(S3Xml, ParsesEmptyListing) {
  auto page = parse_list_objects(
      "<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>"
      "</ListBucketResult>");
  EXPECT_FALSE(page.truncated);
  EXPECT_TRUE(page.objects.empty());
}

TEST(S3Xml, RejectsWrongDocuments) {
  EXPECT_THROW(parse_list_objects("<Error><Code>x</Code></Error>"), StorageError);
  EXPECT_THROW(parse_list_objects("garbage"), StorageError);
  EXPECT_THROW(parse_list_objects("<ListBucketResult><IsTruncated>true</IsTruncated>"
                                  "</ListBucketResult>"),
               StorageError);  // truncated without a token would loop forever
  EXPECT_THROW(parse_initiate_upload("<InitiateMultipartUploadResult></InitiateMultipartUploadResult>"),
               StorageError);
}

TEST(S3Xml, ParsesListMultipartUploads) {
  auto page = parse_list_uploads(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Bucket>b</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>"
      "<NextKeyMarker>pg/db/2.dump</NextKeyMarker><NextUploadIdMarker>id2</NextUploadIdMarker>"
      "<MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated>"
      "<Upload><Key>pg/db/1.dump</Key><UploadId>id1</UploadId>"
      "<Initiated>2024-01-02T03:04:05.000Z</Initiated></Upload>"
      "<Upload><Key>pg/db/2.dump</Key><UploadId>id2</UploadId>"
      "<Initiated>2024-01-02T03:04:06.000Z</Initiated></Upload>"
      "</ListMultipartUploadsResult>");
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.next_key_marker, "pg/db/2.dump");
  EXPECT_EQ(page.next_upload_id_marker, "id2");
  ASSERT_EQ(page.uploads.size(), 2u);
  EXPECT_EQ(page.uploads[0].key, "pg/db/1.dump");
  EXPECT_EQ(page.uploads[0].upload_id, "id1");
  EXPECT_EQ(system_clock::to_time_t(page.uploads[1].initiated), 1704164646);
}

TEST(S3Xml, ParsesInitiateAnswer) {
  EXPECT_EQ(parse_initiate_upload(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE</UploadId>"
                "</InitiateMultipartUploadResult>"),
            "VXBsb2FkIElE");
}

TEST(S3Xml, ParsesDeleteResultFailures) {
  auto failures = parse_delete_result(
      "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Deleted><Key>a</Key></Deleted>"
      "<Error><Key>b</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
      "</DeleteResult>");
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].key, "b");
  EXPECT_EQ(failures[0].code, "AccessDenied");
  EXPECT_EQ(failures[0].message, "Access Denied");
  EXPECT_TRUE(parse_delete_result("<DeleteResult/>").empty());
}

TEST(S3Xml, WritesCompleteUploadBody) {
  std::string xml = complete_upload_xml({{1, "\"e1\""}, {2, "\"e2\""}});
  EXPECT_NE(xml.find("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
                     "<ETag>&quot;e1&quot;</ETag></Part><Part><PartNumber>2</PartNumber>"),
            std::string::npos);
  EXPECT_NE(xml.find("</CompleteMultipartUpload>"), std::string::npos);
}

TEST(S3Xml, WritesDeleteBodyWithEscapedKeys) {
  std::string xml = delete_objects_xml({"pg/a&b", "pg/<c>", "pg/база"});
  EXPECT_NE(xml.find("<Delete><Quiet>true</Quiet>"), std::string::npos);
  EXPECT_NE(xml.find("<Object><Key>pg/a&amp;b</Key></Object>"), std::string::npos);
  EXPECT_NE(xml.find("<Object><Key>pg/&lt;c&gt;</Key></Object>"), std::string::npos);
  EXPECT_NE(xml.find("<Object><Key>pg/база</Key></Object>"), std::string::npos);
}

TEST(S3Xml, ParsesTimestamps) {
  EXPECT_EQ(system_clock::to_time_t(parse_iso8601("1970-01-01T00:00:10Z")), 10);
  EXPECT_EQ(system_clock::to_time_t(parse_iso8601("2024-02-29T23:59:59.999Z")), 1709251199);
  EXPECT_THROW(parse_iso8601("yesterday"), StorageError);
  auto when = parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT");
  ASSERT_TRUE(when);
  EXPECT_EQ(system_clock::to_time_t(*when), 1445412480);
  EXPECT_FALSE(parse_http_date("garbage"));
}

}  // namespace
}  // namespace bb::s3
