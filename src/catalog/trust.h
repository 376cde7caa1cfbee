// Trust: which stored backups may fill a retention slot or be picked by default. A backup
// is trusted when its manifest was read, describes this very object (database, id, data
// key) and it is not dated in the future. (Damage to the object itself — size, SHA-256 —
// is what verify and restore check; such a backup is reported there.) An untrusted object is never deleted (it
// is evidence) and never displaces a trusted backup. Pure, no I/O, no clock.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "catalog/inventory.h"
#include "catalog/manifest.h"

namespace bb {

// How far ahead of our clock a backup may be dated before it counts as "in the future"
// (hosts sharing a store have slightly different clocks).
constexpr std::chrono::seconds kClockTolerance{60};

// Why `entry` cannot be trusted, given its manifest (nullptr: legacy object, which has
// none, or a manifest that could not be read: manifest_error says why); "" when trusted.
std::string distrust_reason(const BackupEntry& entry, const Manifest* manifest, const std::string& manifest_error,
                            TimePoint now);

// Only the checks that need no manifest (a date in the future); "" when none applies.
std::string future_date_reason(const BackupEntry& entry, TimePoint now);

// The newest trusted backup among newest_first, or nullptr. An unassessed entry (its
// distrust empty) counts as trusted.
const BackupEntry* newest_trusted(const std::vector<BackupEntry>& newest_first);

}  // namespace bb
