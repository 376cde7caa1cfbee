// Scratch databases for restores.
#include "pg/scratch_database.h"

#include <openssl/rand.h>

#include "catalog/manifest.h"
#include "pg/session.h"
#include "util/error.h"
#include "util/format.h"
#include "util/log.h"

namespace bb {

std::string random_hex(int bytes) {
  unsigned char buf[32];
  if (bytes > 32 || RAND_bytes(buf, bytes) != 1) throw OperationError("cannot get random bytes from OpenSSL");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    out += hex[buf[i] >> 4];
    out += hex[buf[i] & 15];
  }
  return out;
}

ScratchDatabase::ScratchDatabase(PgSession& session, const std::string& prefix, const Manifest* m)
    : session_(session) {
  std::string name = prefix + "_" + random_hex(6);
  std::string base = "create database " + session.quote_ident(name) + " template template0";
  bool created = false;
  if (m && !m->encoding.empty()) {
    try {
      std::string sql = base + " encoding " + session.quote_literal(m->encoding);
      if (!m->collate.empty()) sql += " lc_collate " + session.quote_literal(m->collate);
      if (!m->ctype.empty()) sql += " lc_ctype " + session.quote_literal(m->ctype);
      session.exec(sql);
      created = true;
    } catch (const PgError& e) {
      log::warn(std::string("cannot create the database with the source's encoding/locale (") + e.what() +
                "); using this server's defaults");
    }
  }
  if (!created) session.exec(base);
  name_ = name;
}

ScratchDatabase::~ScratchDatabase() {
  if (name_.empty()) return;
  try {
    session_.exec("drop database if exists " + session_.quote_ident(name_) + " with (force)");
    log::debug("dropped scratch database " + name_);
  } catch (const std::exception& e) {
    log::error("could not drop the scratch database " + quote_name(name_) + ": " + e.what() +
               " — drop it by hand (it holds an incomplete restore)");
  }
}

}  // namespace bb
