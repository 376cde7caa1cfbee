// The storage contract suite on the backends that need no server (unit tests): the local
// folder driver in a fresh temp folder, and the in-memory fake the command tests use.
// The S3 driver runs the same suite in integration/s3_driver_test.cpp.
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "contract/storage_contract.h"
#include "storage/local.h"
#include "unit/memory_storage.h"

namespace bb::contract {
namespace {

namespace fs = std::filesystem;

// The local driver: store "pg/" under a temp root made for this test.
class LocalBackend : public StorageBackend {
 public:
  LocalBackend() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->name());
    std::replace(name.begin(), name.end(), '/', '_');
    root_ = fs::temp_directory_path() / ("bb_contract_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(root_);
  }
  ~LocalBackend() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }
  std::unique_ptr<Storage> open() override { return make_local_storage(root_.string(), "pg/"); }
  std::unique_ptr<Storage> open_parent() override { return make_local_storage(root_.string(), ""); }
  // Temp files on disk, whatever the driver lists.
  std::optional<std::vector<std::string>> leftovers() override {
    std::vector<std::string> found;
    if (!fs::exists(root_)) return found;
    for (const auto& entry : fs::recursive_directory_iterator(root_)) {
      if (entry.is_regular_file() &&
          entry.path().filename().string().find(".partial-") != std::string::npos)
        found.push_back(entry.path().string());
    }
    return found;
  }
  std::string location() const override { return root_.string() + "/pg/"; }
  std::uint64_t part_size_bytes() const override { return 1 << 20; }  // its write buffer

 private:
  fs::path root_;
};

// The in-memory fake (tests/unit/memory_storage.h).
class MemoryBackend : public StorageBackend {
 public:
  std::unique_ptr<Storage> open() override { return std::make_unique<testing::MemoryStorage>(); }
};

INSTANTIATE_TEST_SUITE_P(
    Unit, StorageContract,
    ::testing::Values(
        StorageContractParam{"Local", [] { return std::make_unique<LocalBackend>(); }},
        StorageContractParam{"Memory", [] { return std::make_unique<MemoryBackend>(); }}),
    StorageContractParam::Name);

}  // namespace
}  // namespace bb::contract
