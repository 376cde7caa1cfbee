// Inventory: only complete backups (data + manifest) count; orphans and strangers are kept apart.
#include "catalog/inventory.h"

#include <gtest/gtest.h>

namespace bb {
namespace {

ObjectInfo obj(const std::string& key, std::uint64_t size = 10) { return ObjectInfo{key, size, {}}; }

TEST(Inventory, GroupsCompleteBackupsNewestFirst) {
  Inventory inv = build_inventory({obj("shop/20260901T040000Z.dump.zst", 100), obj("shop/20260901T040000Z.json"),
                                   obj("shop/20260903T040000Z.dump.zst", 300), obj("shop/20260903T040000Z.json"),
                                   obj("shop/20260902T040000Z.dump.zst", 200), obj("shop/20260902T040000Z.json")},
                                  true);
  ASSERT_EQ(inv.backups["shop"].size(), 3u);
  EXPECT_EQ(inv.backups["shop"][0].id, "20260903T040000Z");
  EXPECT_EQ(inv.backups["shop"][0].stored_bytes, 300u);
  EXPECT_EQ(inv.backups["shop"][2].id, "20260901T040000Z");
}

TEST(Inventory, DataWithoutManifestIsAnOrphanNotABackup) {
  Inventory inv = build_inventory({obj("shop/20260901T040000Z.dump.zst"), obj("shop/20260902T040000Z.json")}, true);
  EXPECT_TRUE(inv.backups.empty());
  ASSERT_EQ(inv.orphan_data.size(), 1u);
  EXPECT_EQ(inv.orphan_data[0].key, "shop/20260901T040000Z.dump.zst");
  ASSERT_EQ(inv.orphan_manifests.size(), 1u);
}

TEST(Inventory, LegacyObjectsJoinTheTimelineUnlessDisabled) {
  std::vector<ObjectInfo> objects{obj("my-db-2024_09_19-DAILY.dump"), obj("my-db/20240920T040000Z.dump.zst"),
                                  obj("my-db/20240920T040000Z.json"), obj("readme.txt")};
  Inventory with = build_inventory(objects, true);
  ASSERT_EQ(with.backups["my-db"].size(), 2u);
  EXPECT_FALSE(with.backups["my-db"][0].legacy);
  EXPECT_TRUE(with.backups["my-db"][1].legacy);
  EXPECT_EQ(with.unrecognized, std::vector<std::string>{"readme.txt"});
  Inventory without = build_inventory(objects, false);
  EXPECT_EQ(without.backups["my-db"].size(), 1u);
  EXPECT_EQ(without.unrecognized.size(), 2u);
}

TEST(Inventory, PickByIdTimeOrNewest) {
  Inventory inv = build_inventory({obj("d/20260901T040000Z.dump.zst"), obj("d/20260901T040000Z.json"),
                                   obj("d/20260903T040000Z.dump.zst"), obj("d/20260903T040000Z.json")},
                                  true);
  const auto& list = inv.backups["d"];
  EXPECT_EQ(pick_backup(list, std::nullopt, std::nullopt)->id, "20260903T040000Z");
  EXPECT_EQ(pick_backup(list, std::string("20260901T040000Z"), std::nullopt)->id, "20260901T040000Z");
  EXPECT_EQ(pick_backup(list, std::nullopt, parse_backup_id("20260902T120000Z"))->id, "20260901T040000Z");
  EXPECT_EQ(pick_backup(list, std::nullopt, parse_backup_id("20260903T040000Z"))->id, "20260903T040000Z");
  EXPECT_EQ(pick_backup(list, std::nullopt, parse_backup_id("20260801T000000Z")), nullptr);
  EXPECT_EQ(pick_backup(list, std::string("nope"), std::nullopt), nullptr);
}

}  // namespace
}  // namespace bb
