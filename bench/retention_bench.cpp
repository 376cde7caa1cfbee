// Unit-level benchmark of listing and retention (issue 3, "Scale"): build_inventory over
// a synthetic listing (data object + manifest per backup) and plan_retention over every
// database. No storage, no network: the cost on top of the listing itself.
//
// Usage: retention_bench [DATABASES [BACKUPS_PER_DATABASE]]   (default 200 50)
#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "catalog/inventory.h"
#include "catalog/keys.h"
#include "catalog/retention.h"
#include "storage/storage.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRounds = 5;

// Best wall time of kRounds runs of `work`, in milliseconds.
double best_of(const std::function<void()>& work) {
  double best = 1e300;
  for (int i = 0; i < kRounds; ++i) {
    const auto start = Clock::now();
    work();
    const std::chrono::duration<double, std::milli> took = Clock::now() - start;
    best = std::min(best, took.count());
  }
  return best;
}

// Database names of every shape the layout must encode: plain, with '-', Cyrillic.
std::string database_name(int i) {
  switch (i % 4) {
    case 0:
      return "app_" + std::to_string(i);
    case 1:
      return "shop-eu-" + std::to_string(i);
    case 2:
      return "учёт_" + std::to_string(i);
    default:
      return "db " + std::to_string(i);
  }
}

// Backup b of database d: one a day at 04:00 UTC plus a jitter, newest ending 2026-03-02.
bb::TimePoint backup_time(int d, int b) {
  const auto newest = date::sys_days{date::year{2026} / 3 / 2} + std::chrono::hours(4);
  return newest - date::days{b} + std::chrono::seconds((d * 37) % 600);
}

}  // namespace

int main(int argc, char** argv) {
  const int databases = argc > 1 ? std::atoi(argv[1]) : 200;
  const int per_db = argc > 2 ? std::atoi(argv[2]) : 50;
  if (databases <= 0 || per_db <= 0) {
    std::fprintf(stderr, "usage: retention_bench [DATABASES [BACKUPS_PER_DATABASE]]\n");
    return 2;
  }
  const date::time_zone* zone = date::locate_zone("Europe/Moscow");
  const bb::RetentionPolicy policy{};

  // The listing a store would return: data object and manifest per backup, in key order.
  std::vector<bb::ObjectInfo> listing;
  listing.reserve(static_cast<std::size_t>(databases) * per_db * 2);
  for (int d = 0; d < databases; ++d) {
    const std::string db = database_name(d);
    for (int b = 0; b < per_db; ++b) {
      const bb::TimePoint t = backup_time(d, b);
      const std::string id = bb::format_backup_id(t);
      listing.push_back({bb::data_key(db, id, d % 5 == 0), 1'000'000u + static_cast<std::uint64_t>(b), t});
      listing.push_back({bb::manifest_key(db, id), 900u, t});
    }
  }
  std::sort(listing.begin(), listing.end(),
            [](const bb::ObjectInfo& a, const bb::ObjectInfo& b) { return a.key < b.key; });

  // The per-database backups, newest first, as Inventory gives them.
  const bb::Inventory inventory = bb::build_inventory(listing, true);
  std::size_t backups = 0;
  for (const auto& [db, list] : inventory.backups) backups += list.size();
  if (inventory.backups.size() != static_cast<std::size_t>(databases) ||
      backups != static_cast<std::size_t>(databases) * per_db) {
    std::fprintf(stderr, "inventory mismatch: %zu databases, %zu backups\n", inventory.backups.size(), backups);
    return 1;
  }

  std::size_t kept = 0;
  const double plan_ms = best_of([&] {
    kept = 0;
    for (const auto& [db, list] : inventory.backups) kept += bb::plan_retention(list, policy, zone).keep().size();
  });
  std::size_t listed = 0;
  const double inventory_ms = best_of([&] { listed = bb::build_inventory(listing, true).backups.size(); });
  const double both_ms = best_of([&] {
    const bb::Inventory inv = bb::build_inventory(listing, true);
    for (const auto& [db, list] : inv.backups) (void)bb::plan_retention(list, policy, zone);
  });

  std::printf("retention_bench: %d databases x %d backups = %zu backups, %zu listed objects, zone %s\n", databases,
              per_db, backups, listing.size(), zone->name().c_str());
  std::printf("  plan_retention, all databases : %9.3f ms  (best of %d; %zu kept, %zu dropped)\n", plan_ms, kRounds,
              kept, backups - kept);
  std::printf("  build_inventory               : %9.3f ms  (best of %d; %zu databases)\n", inventory_ms, kRounds,
              listed);
  std::printf("  inventory + plan              : %9.3f ms  (best of %d)\n", both_ms, kRounds);
  return 0;
}
