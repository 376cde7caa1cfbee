// The storage contract suite: every promise of the Storage interface (storage/storage.h),
// written once and run against every backend, as restic's internal/backend/test is. A
// backend proves itself by passing it: the local driver and the in-memory fake in the
// unit tests (storage_contract_local_test.cpp), the S3 driver against s3rver behind the
// SigV4-verifying proxy in the S3 integration binary (integration/s3_driver_test.cpp).
//
// To run the suite against a backend, subclass StorageBackend and instantiate it:
//   INSTANTIATE_TEST_SUITE_P(Local, StorageContract,
//                            ::testing::Values(StorageContractParam{"Local", make_fn}),
//                            StorageContractParam::Name);
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "storage/storage.h"

namespace bb::contract {

// One backend for one test: a fresh, empty area on it, and what the suite may ask of it
// beyond the Storage interface (ground truth a driver cannot fake about itself).
class StorageBackend {
 public:
  virtual ~StorageBackend() = default;
  // The store under test on this test's empty area (for drivers: with a prefix, "pg/").
  virtual std::unique_ptr<Storage> open() = 0;
  // The same area one prefix level up, which sees open()'s keys as "pg/<key>"; nullptr
  // when the backend has no prefixes (the in-memory fake).
  virtual std::unique_ptr<Storage> open_parent() { return nullptr; }
  // Unfinished uploads the backend itself still holds for this area (S3: what the proxy
  // saw initiated and neither completed nor aborted; local: temp files on disk), found
  // without asking the driver; nullopt when the backend has no such view.
  virtual std::optional<std::vector<std::string>> leftovers() { return std::nullopt; }
  // Makes listings answer in pages of at most n entries (0: the default); false when the
  // backend does not page.
  virtual bool force_page_size(int /*objects*/, int /*uploads*/) { return false; }
  // Requests of an S3 kind ("list_objects", "list_uploads") seen so far; -1 if unknown.
  virtual int requests(const std::string& /*kind*/) { return -1; }
  // Text describe() must contain (the bucket, the folder); empty: anything non-empty.
  virtual std::string location() const { return ""; }
  // Strings that must never appear in describe() (credentials).
  virtual std::vector<std::string> secrets() const { return {}; }
  // Where the backend cuts a stream (S3 part size; the local write buffer): writers of
  // more than this many bytes have started a real upload (S3: a multipart upload).
  virtual std::uint64_t part_size_bytes() const { return 64 * 1024; }
};

// A named way to make a fresh backend for each test.
struct StorageContractParam {
  std::string name;
  std::function<std::unique_ptr<StorageBackend>()> make;

  // Test-name suffix for INSTANTIATE_TEST_SUITE_P.
  static std::string Name(const ::testing::TestParamInfo<StorageContractParam>& info) {
    return info.param.name;
  }
  // How failure messages show the parameter (GetParam() = "S3").
  friend void PrintTo(const StorageContractParam& param, std::ostream* out) {
    *out << '"' << param.name << '"';
  }
};

// The fixture: store_ is the store under test on a fresh area of backend_.
class StorageContract : public ::testing::TestWithParam<StorageContractParam> {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::unique_ptr<StorageBackend> backend_;
  std::unique_ptr<Storage> store_;
};

}  // namespace bb::contract
