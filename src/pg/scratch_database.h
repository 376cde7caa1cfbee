// ScratchDatabase: a database BackupBuddy creates for a restore or a restore test, under a
// random ASCII name, from template0 with the source's encoding and locale. Dropped (WITH
// FORCE) when it goes out of scope unless handed over (renamed into an archive).
#pragma once

#include <string>

namespace bb {

class PgSession;
struct Manifest;

class ScratchDatabase {
 public:
  // Creates `<prefix>_<random hex>`; m (optional) gives encoding/collate/ctype.
  ScratchDatabase(PgSession& session, const std::string& prefix, const Manifest* m);
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;
  // Keeps the database: the caller has renamed it.
  void release() { name_.clear(); }
  const std::string& name() const { return name_; }

 private:
  PgSession& session_;
  std::string name_;
};

// n random bytes as lowercase hex.
std::string random_hex(int bytes);

}  // namespace bb
