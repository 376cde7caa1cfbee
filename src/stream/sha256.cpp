// SHA-256 over OpenSSL 3's EVP interface; the digest algorithm is fetched once per
// process (EVP_MD_fetch is not free), each hasher owns one EVP_MD_CTX.
#include "stream/sha256.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/error.h"
#include "util/openssl_error.h"

namespace bb {
namespace {

[[noreturn]] void throw_openssl(const char* what) { throw_openssl_error(std::string("SHA-256: ") + what); }

const EVP_MD* sha256_md() {
  // Fetched once and kept for the life of the process.
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) throw_openssl("fetching the SHA256 algorithm");
  return md;
}

constexpr char kHexDigits[] = "0123456789abcdef";

}  // namespace

struct Sha256::Ctx {
  EVP_MD_CTX* md_ctx = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md_ctx); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md_ctx = EVP_MD_CTX_new();
  if (ctx_->md_ctx == nullptr) throw_openssl("allocating a digest context");
  if (EVP_DigestInit_ex2(ctx_->md_ctx, sha256_md(), nullptr) != 1) throw_openssl("init");
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const char* data, std::size_t n) {
  if (n == 0) return;
  if (EVP_DigestUpdate(ctx_->md_ctx, data, n) != 1) throw_openssl("update");
  bytes_ += n;
}

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_->md_ctx, digest, &length) != 1) throw_openssl("final");
  std::string hex(2 * static_cast<std::size_t>(length), '0');
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = kHexDigits[digest[i] >> 4];
    hex[2 * i + 1] = kHexDigits[digest[i] & 0x0f];
  }
  if (EVP_DigestInit_ex2(ctx_->md_ctx, sha256_md(), nullptr) != 1) throw_openssl("init");
  bytes_ = 0;
  return hex;
}

std::string sha256_hex(std::string_view data) {
  Sha256 hasher;
  hasher.update(data.data(), data.size());
  return hasher.hex_digest();
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(sha256_md(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
            data.size(), digest, &length))
    throw_openssl("computing an HMAC");
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHexDigits[digest[i] >> 4]);
    out.push_back(kHexDigits[digest[i] & 15]);
  }
  return out;
}

}  // namespace bb
