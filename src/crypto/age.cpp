// age v1 over OpenSSL 3: X25519 (EVP_PKEY), HKDF-SHA-256 and scrypt (EVP_KDF),
// HMAC-SHA-256 (EVP_MAC), ChaCha20-Poly1305 (EVP_CIPHER), RAND_bytes. The header is
// parsed line by line as bytes arrive; the payload is buffered one encrypted chunk
// (64 KiB + 16-byte tag) at a time and released only once its tag verified.
#include "crypto/age.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "crypto/bech32.h"
#include "util/error.h"
#include "util/openssl_error.h"

namespace bb {
namespace {

constexpr std::size_t kKeyBytes = 32;      // X25519 keys, HKDF outputs, wrap keys
constexpr std::size_t kFileKeyBytes = 16;  // the per-file symmetric key
constexpr std::size_t kTagBytes = 16;      // Poly1305 tag
constexpr std::size_t kPayloadNonceBytes = 16;
constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::size_t kSealedChunkBytes = kChunkBytes + kTagBytes;
constexpr std::size_t kMaxHeaderBytes = 1 << 20;  // far above any real header
constexpr std::size_t kBodyColumns = 64;

constexpr std::string_view kVersionLine = "age-encryption.org/v1";
constexpr std::string_view kVersionPrefix = "age-encryption.org/";
constexpr std::string_view kArmorBegin = "-----BEGIN AGE ENCRYPTED FILE-----";
constexpr std::string_view kX25519Info = "age-encryption.org/v1/X25519";
constexpr std::string_view kScryptSaltLabel = "age-encryption.org/v1/scrypt";
constexpr std::string_view kIdentityHrp = "age-secret-key-";
constexpr std::string_view kRecipientHrp = "age";

// A fixed-size secret that is wiped when it goes out of scope.
template <std::size_t N>
struct Secret {
  std::array<unsigned char, N> bytes{};
  Secret() = default;
  Secret(const Secret& other) : bytes(other.bytes) {}
  Secret& operator=(const Secret& other) {
    bytes = other.bytes;
    return *this;
  }
  ~Secret() { OPENSSL_cleanse(bytes.data(), N); }
  unsigned char* data() { return bytes.data(); }
  const unsigned char* data() const { return bytes.data(); }
};

// Wipes a string's contents (identity secrets, passphrases) before it is freed.
void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

void wipe(std::vector<unsigned char>& v) {
  if (!v.empty()) OPENSSL_cleanse(v.data(), v.size());
}

[[noreturn]] void fail(const std::string& reason) { throw OperationError("age: " + reason); }

[[noreturn]] void throw_openssl(const char* what) { throw_openssl_error(std::string("age: OpenSSL ") + what); }

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// ---- primitives -------------------------------------------------------------

void random_bytes(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) throw_openssl("RAND_bytes");
}

const EVP_CIPHER* chacha20_poly1305() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  if (cipher == nullptr) throw_openssl("fetching ChaCha20-Poly1305");
  return cipher;
}

EVP_KDF* fetch_kdf(const char* name) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, name, nullptr);
  if (kdf == nullptr) throw_openssl(name);
  return kdf;
}

// HKDF-SHA-256 (RFC 5869) with 32 bytes of output; an empty salt means no salt.
Secret<kKeyBytes> hkdf_sha256(const unsigned char* ikm, std::size_t ikm_len, std::string_view salt,
                              std::string_view info) {
  static EVP_KDF* kdf = fetch_kdf("HKDF");
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  if (ctx == nullptr) throw_openssl("allocating an HKDF context");
  OSSL_PARAM params[5];
  OSSL_PARAM* p = params;
  *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0);
  *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<unsigned char*>(ikm),
                                           ikm_len);
  if (!salt.empty()) {
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()),
                                             salt.size());
  }
  *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                           info.size());
  *p = OSSL_PARAM_construct_end();
  Secret<kKeyBytes> out;
  int rc = EVP_KDF_derive(ctx, out.data(), kKeyBytes, params);
  EVP_KDF_CTX_free(ctx);
  if (rc != 1) throw_openssl("HKDF-SHA-256");
  return out;
}

// scrypt(N = 2^log2_n, r = 8, p = 1, dkLen = 32) as the age scrypt recipient uses it.
Secret<kKeyBytes> scrypt_key(std::string_view passphrase, std::string_view salt, int log2_n) {
  static EVP_KDF* kdf = fetch_kdf("SCRYPT");
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  if (ctx == nullptr) throw_openssl("allocating an scrypt context");
  std::uint64_t n = std::uint64_t{1} << log2_n;
  std::uint32_t r = 8;
  std::uint32_t parallel = 1;
  // scrypt needs 128·r·N bytes (plus a little); allow exactly that much.
  std::uint64_t max_memory = 128 * std::uint64_t{r} * (n + 4) + (1 << 20);
  OSSL_PARAM params[7];
  OSSL_PARAM* p = params;
  *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
                                           const_cast<char*>(passphrase.data()), passphrase.size());
  *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()),
                                           salt.size());
  *p++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
  *p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
  *p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &parallel);
  *p++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &max_memory);
  *p = OSSL_PARAM_construct_end();
  Secret<kKeyBytes> out;
  int rc = EVP_KDF_derive(ctx, out.data(), kKeyBytes, params);
  EVP_KDF_CTX_free(ctx);
  if (rc != 1) {
    ERR_clear_error();
    fail("scrypt with work factor 2^" + std::to_string(log2_n) + " failed (it needs about " +
         std::to_string((max_memory >> 20) + 1) +
         " MiB of memory) — free memory or use a smaller work factor");
  }
  return out;
}

// HMAC-SHA-256 of data under a 32-byte key.
std::array<unsigned char, 32> hmac_sha256(const Secret<kKeyBytes>& key, std::string_view data) {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) throw_openssl("fetching HMAC");
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  if (ctx == nullptr) throw_openssl("allocating an HMAC context");
  OSSL_PARAM params[2] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end()};
  std::array<unsigned char, 32> out{};
  std::size_t out_len = 0;
  bool ok = EVP_MAC_init(ctx, key.data(), kKeyBytes, params) == 1 &&
            EVP_MAC_update(ctx, bytes_of(data), data.size()) == 1 &&
            EVP_MAC_final(ctx, out.data(), &out_len, out.size()) == 1 && out_len == out.size();
  EVP_MAC_CTX_free(ctx);
  if (!ok) throw_openssl("HMAC-SHA-256");
  return out;
}

// An X25519 key pair or peer key held by OpenSSL.
struct PKey {
  EVP_PKEY* key = nullptr;
  PKey() = default;
  PKey(const PKey&) = delete;
  PKey& operator=(const PKey&) = delete;
  ~PKey() { EVP_PKEY_free(key); }
};

// X25519(secret, basepoint): the public key of a 32-byte secret.
std::array<unsigned char, kKeyBytes> x25519_public(const unsigned char* secret) {
  PKey pkey;
  pkey.key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, secret, kKeyBytes);
  if (pkey.key == nullptr) throw_openssl("loading an X25519 key");
  std::array<unsigned char, kKeyBytes> out{};
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(pkey.key, out.data(), &len) != 1 || len != out.size()) {
    throw_openssl("computing an X25519 public key");
  }
  return out;
}

// X25519(secret, peer); nullopt if the result is all zeros (a low-order peer point),
// which age forbids.
std::optional<Secret<kKeyBytes>> x25519_shared(const unsigned char* secret,
                                               const unsigned char* peer) {
  PKey mine;
  mine.key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, secret, kKeyBytes);
  PKey theirs;
  theirs.key = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer, kKeyBytes);
  if (mine.key == nullptr || theirs.key == nullptr) throw_openssl("loading an X25519 key");
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, mine.key, nullptr);
  if (ctx == nullptr) throw_openssl("allocating an X25519 context");
  Secret<kKeyBytes> shared;
  std::size_t len = kKeyBytes;
  // OpenSSL itself refuses an all-zero X25519 result, so a failure here means a
  // low-order point.
  bool ok = EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, theirs.key) == 1 &&
            EVP_PKEY_derive(ctx, shared.data(), &len) == 1 && len == kKeyBytes;
  EVP_PKEY_CTX_free(ctx);
  ERR_clear_error();
  if (!ok) return std::nullopt;
  unsigned char any = 0;
  for (unsigned char b : shared.bytes) any |= b;
  if (any == 0) return std::nullopt;
  return shared;
}

// One reusable ChaCha20-Poly1305 context.
class Aead {
 public:
  Aead() : ctx_(EVP_CIPHER_CTX_new()) {
    if (ctx_ == nullptr) throw_openssl("allocating a cipher context");
  }
  ~Aead() { EVP_CIPHER_CTX_free(ctx_); }
  Aead(const Aead&) = delete;
  Aead& operator=(const Aead&) = delete;

  // Encrypts n bytes into out (n + 16 bytes: ciphertext then tag).
  void seal(const unsigned char* key, const unsigned char* nonce12, const unsigned char* in,
            std::size_t n, unsigned char* out) {
    int len = 0;
    if (EVP_EncryptInit_ex2(ctx_, chacha20_poly1305(), key, nonce12, nullptr) != 1) {
      throw_openssl("ChaCha20-Poly1305 init");
    }
    if (n > 0 && EVP_EncryptUpdate(ctx_, out, &len, in, static_cast<int>(n)) != 1) {
      throw_openssl("ChaCha20-Poly1305 encrypt");
    }
    if (EVP_EncryptFinal_ex(ctx_, out + n, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, kTagBytes, out + n) != 1) {
      throw_openssl("ChaCha20-Poly1305 finish");
    }
  }

  // Decrypts n sealed bytes (ciphertext then tag) into out (n - 16 bytes). Returns
  // false, with out wiped, if the tag does not verify.
  bool open(const unsigned char* key, const unsigned char* nonce12, const unsigned char* in,
            std::size_t n, unsigned char* out) {
    if (n < kTagBytes) return false;
    std::size_t plain = n - kTagBytes;
    int len = 0;
    if (EVP_DecryptInit_ex2(ctx_, chacha20_poly1305(), key, nonce12, nullptr) != 1) {
      throw_openssl("ChaCha20-Poly1305 init");
    }
    if (plain > 0 && EVP_DecryptUpdate(ctx_, out, &len, in, static_cast<int>(plain)) != 1) {
      throw_openssl("ChaCha20-Poly1305 decrypt");
    }
    unsigned char tag[kTagBytes];
    std::memcpy(tag, in + plain, kTagBytes);
    if (EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, kTagBytes, tag) != 1) {
      throw_openssl("ChaCha20-Poly1305 set tag");
    }
    unsigned char scratch[16];
    if (EVP_DecryptFinal_ex(ctx_, scratch, &len) != 1) {
      ERR_clear_error();
      if (plain > 0) OPENSSL_cleanse(out, plain);
      return false;
    }
    return true;
  }

 private:
  EVP_CIPHER_CTX* ctx_;
};

const unsigned char kZeroNonce[12] = {};

// ---- base64 (standard alphabet, no padding, canonical only) --------------------

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string base64_encode(const unsigned char* data, std::size_t n) {
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  std::uint32_t accumulator = 0;
  int bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    accumulator = (accumulator << 8) | data[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64[(accumulator >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kBase64[(accumulator << (6 - bits)) & 63]);
  return out;
}

// Decodes unpadded base64; nullopt on any character outside the alphabet, an
// impossible length, or non-zero leftover bits (a non-canonical encoding).
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t accumulator = 0;
  int bits = 0;
  for (char c : text) {
    int value = base64_value(c);
    if (value < 0) return std::nullopt;
    accumulator = ((accumulator << 6) | static_cast<std::uint32_t>(value)) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((accumulator >> bits) & 0xff));
    }
  }
  if ((accumulator & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

// A stanza body: base64 wrapped at 64 columns, always ending with a short line.
std::string wrap_body(const unsigned char* data, std::size_t n) {
  std::string encoded = base64_encode(data, n);
  std::string out;
  std::size_t pos = 0;
  for (; encoded.size() - pos >= kBodyColumns; pos += kBodyColumns) {
    out.append(encoded, pos, kBodyColumns).push_back('\n');
  }
  out.append(encoded, pos, std::string::npos).push_back('\n');
  return out;
}

// The 12-byte STREAM nonce: 11-byte big-endian chunk counter, then the final flag.
std::array<unsigned char, 12> chunk_nonce(std::uint64_t counter, bool final_chunk) {
  std::array<unsigned char, 12> nonce{};
  for (int i = 0; i < 8; ++i) nonce[10 - i] = static_cast<unsigned char>(counter >> (8 * i));
  nonce[11] = final_chunk ? 1 : 0;
  return nonce;
}

// The header MAC: HMAC-SHA-256 under HKDF(file key, info "header") of the header up
// to and including "---".
std::array<unsigned char, 32> header_mac(const Secret<kFileKeyBytes>& file_key,
                                         std::string_view header_up_to_dashes) {
  Secret<kKeyBytes> mac_key = hkdf_sha256(file_key.data(), kFileKeyBytes, {}, "header");
  return hmac_sha256(mac_key, header_up_to_dashes);
}

bool is_prefix_either_way(std::string_view a, std::string_view b) {
  std::size_t n = std::min(a.size(), b.size());
  return a.substr(0, n) == b.substr(0, n);
}

// Shortens file-supplied text for an error message.
std::string quote_for_message(std::string_view s) {
  std::string out(s.substr(0, 40));
  if (s.size() > 40) out += "…";
  return "\"" + out + "\"";
}

std::optional<std::array<unsigned char, kKeyBytes>> decode_recipient(const std::string& text) {
  if (text.rfind("age1", 0) != 0) return std::nullopt;
  std::optional<Bech32Decoded> decoded = bech32_decode(text);
  if (!decoded || decoded->uppercase || decoded->hrp != kRecipientHrp ||
      decoded->data.size() != kKeyBytes) {
    return std::nullopt;
  }
  std::array<unsigned char, kKeyBytes> key{};
  std::memcpy(key.data(), decoded->data.data(), kKeyBytes);
  return key;
}

}  // namespace

// ---- identities --------------------------------------------------------------

AgeIdentity::~AgeIdentity() { wipe(secret); }

std::string AgeIdentity::public_key() const {
  if (secret.size() != kKeyBytes) {
    throw OperationError("age: an identity must hold a 32-byte X25519 secret");
  }
  std::array<unsigned char, kKeyBytes> pub = x25519_public(bytes_of(secret));
  return bech32_encode(kRecipientHrp,
                       std::string_view(reinterpret_cast<const char*>(pub.data()), pub.size()));
}

AgeIdentity age_generate_identity() {
  AgeIdentity identity;
  identity.secret.assign(kKeyBytes, '\0');
  random_bytes(reinterpret_cast<unsigned char*>(identity.secret.data()), kKeyBytes);
  return identity;
}

std::string age_identity_to_string(const AgeIdentity& identity) {
  if (identity.secret.size() != kKeyBytes) {
    throw OperationError("age: an identity must hold a 32-byte X25519 secret");
  }
  return bech32_encode(kIdentityHrp, identity.secret, /*uppercase=*/true);
}

std::vector<AgeIdentity> age_parse_identity_file(const std::string& text,
                                                 const std::string& where) {
  std::vector<AgeIdentity> identities;
  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;

    std::string here = where + ":" + std::to_string(line_number);
    if (line.rfind("AGE-PLUGIN-", 0) == 0) {
      throw ConfigError("age: " + here +
                        ": plugin identities (AGE-PLUGIN-…) are not supported — use an X25519 "
                        "identity from age-keygen");
    }
    if (line.rfind("ssh-", 0) == 0 || line.rfind("-----BEGIN", 0) == 0) {
      throw ConfigError("age: " + here +
                        ": SSH keys are not supported as identities — use an X25519 identity "
                        "from age-keygen");
    }
    std::optional<Bech32Decoded> decoded = bech32_decode(line);
    if (!decoded || decoded->hrp != kIdentityHrp || decoded->data.size() != kKeyBytes) {
      if (decoded) wipe(decoded->data);
      throw ConfigError("age: " + here +
                        ": not a valid age identity (expected a line AGE-SECRET-KEY-1… as "
                        "written by age-keygen) — check [encryption] identity_file");
    }
    AgeIdentity identity;
    identity.secret = decoded->data;
    wipe(decoded->data);
    identities.push_back(std::move(identity));
  }
  if (identities.empty()) {
    throw ConfigError("age: " + where +
                      ": no identity found (expected a line AGE-SECRET-KEY-1… as written by "
                      "age-keygen) — check [encryption] identity_file");
  }
  return identities;
}

bool age_is_valid_recipient(const std::string& recipient) {
  std::optional<std::array<unsigned char, kKeyBytes>> key = decode_recipient(recipient);
  return key.has_value() && x25519_shared(Secret<kKeyBytes>().data(), key->data()) != std::nullopt;
}

// ---- encryption --------------------------------------------------------------

struct AgeEncryptor::State {
  std::string header;  // header text then the payload nonce, sent before any chunk
  bool header_sent = false;
  bool finished = false;
  Secret<kKeyBytes> payload_key;
  std::uint64_t counter = 0;
  std::vector<unsigned char> plain = std::vector<unsigned char>(kChunkBytes);
  std::size_t plain_len = 0;
  std::vector<unsigned char> sealed = std::vector<unsigned char>(kSealedChunkBytes);
  Aead aead;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;

  ~State() {
    wipe(plain);
    wipe(sealed);
  }

  // Completes the header (MAC line, payload nonce) and derives the payload key.
  void seal_header(const Secret<kFileKeyBytes>& file_key) {
    header += "---";
    std::array<unsigned char, 32> mac = header_mac(file_key, header);
    header += " " + base64_encode(mac.data(), mac.size()) + "\n";
    unsigned char nonce[kPayloadNonceBytes];
    random_bytes(nonce, sizeof nonce);
    std::string_view salt(reinterpret_cast<const char*>(nonce), sizeof nonce);
    payload_key = hkdf_sha256(file_key.data(), kFileKeyBytes, salt, "payload");
    header.append(salt);
  }

  void emit(const ByteSink& out, const char* data, std::size_t n) {
    out(data, n);
    bytes_out += n;
  }

  void send_header(const ByteSink& out) {
    if (header_sent) return;
    emit(out, header.data(), header.size());
    header_sent = true;
  }

  void seal_chunk(bool final_chunk, const ByteSink& out) {
    std::array<unsigned char, 12> nonce = chunk_nonce(counter, final_chunk);
    aead.seal(payload_key.data(), nonce.data(), plain.data(), plain_len, sealed.data());
    emit(out, reinterpret_cast<const char*>(sealed.data()), plain_len + kTagBytes);
    ++counter;
    plain_len = 0;
  }
};

AgeEncryptor::AgeEncryptor(std::unique_ptr<State> state) : state_(std::move(state)) {}
AgeEncryptor::~AgeEncryptor() = default;
AgeEncryptor::AgeEncryptor(AgeEncryptor&&) noexcept = default;
AgeEncryptor& AgeEncryptor::operator=(AgeEncryptor&&) noexcept = default;

AgeEncryptor AgeEncryptor::to_recipients(const std::vector<std::string>& recipients) {
  if (recipients.empty()) {
    throw ConfigError("age: no recipients to encrypt to — check [encryption] recipients");
  }
  auto state = std::make_unique<State>();
  Secret<kFileKeyBytes> file_key;
  random_bytes(file_key.data(), kFileKeyBytes);
  state->header = std::string(kVersionLine) + "\n";
  for (const std::string& recipient : recipients) {
    std::optional<std::array<unsigned char, kKeyBytes>> public_key = decode_recipient(recipient);
    if (!public_key) {
      throw ConfigError("age: recipient " + quote_for_message(recipient) +
                        " is not an X25519 age recipient (age1… as printed by age-keygen) — "
                        "check [encryption] recipients");
    }
    Secret<kKeyBytes> ephemeral;
    random_bytes(ephemeral.data(), kKeyBytes);
    std::array<unsigned char, kKeyBytes> share = x25519_public(ephemeral.data());
    std::optional<Secret<kKeyBytes>> shared = x25519_shared(ephemeral.data(), public_key->data());
    if (!shared) {
      throw ConfigError("age: recipient " + quote_for_message(recipient) +
                        " is not a usable X25519 public key (low-order point) — check "
                        "[encryption] recipients");
    }
    std::string salt(reinterpret_cast<const char*>(share.data()), kKeyBytes);
    salt.append(reinterpret_cast<const char*>(public_key->data()), kKeyBytes);
    Secret<kKeyBytes> wrap_key = hkdf_sha256(shared->data(), kKeyBytes, salt, kX25519Info);
    unsigned char body[kFileKeyBytes + kTagBytes];
    state->aead.seal(wrap_key.data(), kZeroNonce, file_key.data(), kFileKeyBytes, body);
    state->header += "-> X25519 " + base64_encode(share.data(), share.size()) + "\n";
    state->header += wrap_body(body, sizeof body);
  }
  state->seal_header(file_key);
  return AgeEncryptor(std::move(state));
}

AgeEncryptor AgeEncryptor::with_passphrase(const std::string& passphrase, int work_factor_log2) {
  if (passphrase.empty()) {
    throw ConfigError("age: the passphrase is empty — check [encryption] passphrase_file");
  }
  if (work_factor_log2 < 1 || work_factor_log2 > 22) {
    throw ConfigError("age: scrypt work factor 2^" + std::to_string(work_factor_log2) +
                      " is out of range 2^1..2^22 (the age CLI refuses more than 2^22)");
  }
  auto state = std::make_unique<State>();
  Secret<kFileKeyBytes> file_key;
  random_bytes(file_key.data(), kFileKeyBytes);
  unsigned char salt[16];
  random_bytes(salt, sizeof salt);
  std::string labeled_salt(kScryptSaltLabel);
  labeled_salt.append(reinterpret_cast<const char*>(salt), sizeof salt);
  Secret<kKeyBytes> wrap_key = scrypt_key(passphrase, labeled_salt, work_factor_log2);
  unsigned char body[kFileKeyBytes + kTagBytes];
  state->aead.seal(wrap_key.data(), kZeroNonce, file_key.data(), kFileKeyBytes, body);
  state->header = std::string(kVersionLine) + "\n";
  state->header += "-> scrypt " + base64_encode(salt, sizeof salt) + " " +
                   std::to_string(work_factor_log2) + "\n";
  state->header += wrap_body(body, sizeof body);
  state->seal_header(file_key);
  return AgeEncryptor(std::move(state));
}

void AgeEncryptor::write(const char* data, std::size_t n, const ByteSink& out) {
  State& s = *state_;
  if (s.finished) throw OperationError("age: write after finish (internal error)");
  s.send_header(out);
  std::size_t used = 0;
  while (used < n) {
    // A full buffer is sealed as a non-final chunk only once more data exists, so
    // a payload that is a multiple of 64 KiB ends with a full final chunk.
    if (s.plain_len == kChunkBytes) s.seal_chunk(false, out);
    std::size_t take = std::min(n - used, kChunkBytes - s.plain_len);
    std::memcpy(s.plain.data() + s.plain_len, data + used, take);
    s.plain_len += take;
    used += take;
  }
  s.bytes_in += n;
}

void AgeEncryptor::finish(const ByteSink& out) {
  State& s = *state_;
  if (s.finished) throw OperationError("age: finish called twice (internal error)");
  s.send_header(out);
  s.seal_chunk(true, out);
  s.finished = true;
}

std::uint64_t AgeEncryptor::bytes_in() const { return state_->bytes_in; }
std::uint64_t AgeEncryptor::bytes_out() const { return state_->bytes_out; }

// ---- decryption --------------------------------------------------------------

namespace {

struct Stanza {
  std::vector<std::string> args;  // args[0] is the type
  std::string body_text;          // base64 as read, lines joined
  std::string body;               // decoded
};

enum class HeaderPhase { kVersion, kStanzaOrMac, kBody, kDone };

}  // namespace

struct AgeDecryptor::State {
  // Keys.
  std::vector<AgeIdentity> identities;
  std::string passphrase;
  bool use_passphrase = false;
  int max_work_factor_log2 = 22;

  // Header.
  HeaderPhase phase = HeaderPhase::kVersion;
  std::string header_text;     // every header byte so far
  std::size_t line_start = 0;  // offset of the current (incomplete) line
  std::vector<Stanza> stanzas;
  std::string mac_input;       // the header up to and including "---"
  std::string mac;             // decoded MAC (32 bytes)
  bool authenticated = false;  // the file key is unwrapped and the MAC verified

  // Payload.
  Secret<kFileKeyBytes> file_key;
  Secret<kKeyBytes> payload_key;
  std::string nonce;  // payload nonce, collected up to 16 bytes
  bool payload_ready = false;
  bool finished = false;
  std::uint64_t counter = 0;
  std::vector<unsigned char> sealed = std::vector<unsigned char>(kSealedChunkBytes);
  std::size_t sealed_len = 0;
  std::vector<unsigned char> plain = std::vector<unsigned char>(kChunkBytes);
  Aead aead;
  std::uint64_t bytes_out = 0;

  ~State() {
    wipe(passphrase);
    wipe(sealed);
    wipe(plain);
  }

  void process_line(std::string_view line);
  void parse_stanza_line(std::string_view line);
  void authenticate_header();
  bool unwrap_with_identities();
  bool unwrap_with_passphrase();
  void decrypt_chunk(bool final_chunk, const ByteSink& out);
};

void AgeDecryptor::State::process_line(std::string_view line) {
  switch (phase) {
    case HeaderPhase::kVersion:
      if (line == kVersionLine) {
        phase = HeaderPhase::kStanzaOrMac;
        return;
      }
      if (line.rfind(kArmorBegin, 0) == 0) {
        fail(
            "this is an ASCII-armored (PEM) age file, which BackupBuddy does not read — "
            "convert it with `age -d` or re-encrypt without -a");
      }
      if (line.rfind(kVersionPrefix, 0) == 0) {
        fail("unsupported format version " + quote_for_message(line.substr(kVersionPrefix.size())) +
             " (only age-encryption.org/v1 is known)");
      }
      fail("not an age file: it does not start with \"age-encryption.org/v1\"");
    case HeaderPhase::kStanzaOrMac:
      if (line.rfind("-> ", 0) == 0) {
        parse_stanza_line(line.substr(3));
        phase = HeaderPhase::kBody;
        return;
      }
      if (line.rfind("---", 0) == 0) {
        if (stanzas.empty()) fail("malformed header: it has no recipient stanza");
        std::optional<std::string> decoded;
        if (line.size() == 4 + 43 && line[3] == ' ') decoded = base64_decode(line.substr(4));
        if (!decoded || decoded->size() != 32) fail("malformed header: bad MAC line");
        mac = *decoded;
        mac_input = header_text.substr(0, line_start + 3);
        phase = HeaderPhase::kDone;
        return;
      }
      fail("malformed header: expected a recipient stanza (\"-> \") or the MAC line (\"---\")");
    case HeaderPhase::kBody: {
      if (line.size() > kBodyColumns) fail("malformed header: a stanza body line is too long");
      for (char c : line) {
        if (base64_value(c) < 0) fail("malformed header: a stanza body line is not base64");
      }
      Stanza& stanza = stanzas.back();
      stanza.body_text.append(line);
      if (line.size() == kBodyColumns) return;  // the body goes on
      std::optional<std::string> decoded = base64_decode(stanza.body_text);
      if (!decoded) fail("malformed header: a stanza body is not canonical base64");
      stanza.body = std::move(*decoded);
      phase = HeaderPhase::kStanzaOrMac;
      return;
    }
    case HeaderPhase::kDone:
      break;
  }
}

void AgeDecryptor::State::parse_stanza_line(std::string_view rest) {
  Stanza stanza;
  std::size_t pos = 0;
  for (;;) {
    std::size_t space = rest.find(' ', pos);
    std::string_view arg =
        rest.substr(pos, space == std::string_view::npos ? std::string_view::npos : space - pos);
    if (arg.empty()) fail("malformed header: a recipient stanza has an empty argument");
    for (char c : arg) {
      if (c < 0x21 || c > 0x7e) fail("malformed header: a recipient stanza has a bad character");
    }
    stanza.args.emplace_back(arg);
    if (space == std::string_view::npos) break;
    pos = space + 1;
  }
  stanzas.push_back(std::move(stanza));
}

bool AgeDecryptor::State::unwrap_with_identities() {
  for (const Stanza& stanza : stanzas) {
    if (stanza.args[0] != "X25519") continue;
    const std::string& share = stanza.args[1];  // validated by authenticate_header
    for (const AgeIdentity& identity : identities) {
      std::optional<Secret<kKeyBytes>> shared =
          x25519_shared(bytes_of(identity.secret), bytes_of(share));
      if (!shared) {
        fail(
            "an X25519 stanza carries an invalid (low-order) ephemeral share; the file is "
            "malformed or forged");
      }
      std::array<unsigned char, kKeyBytes> recipient = x25519_public(bytes_of(identity.secret));
      std::string salt = share;
      salt.append(reinterpret_cast<const char*>(recipient.data()), kKeyBytes);
      Secret<kKeyBytes> wrap_key = hkdf_sha256(shared->data(), kKeyBytes, salt, kX25519Info);
      if (aead.open(wrap_key.data(), kZeroNonce, bytes_of(stanza.body), stanza.body.size(),
                    file_key.data())) {
        return true;
      }
    }
  }
  return false;
}

bool AgeDecryptor::State::unwrap_with_passphrase() {
  const Stanza& stanza = stanzas.front();
  int work_factor = std::stoi(stanza.args[2]);  // validated: 1..2 digits
  if (work_factor > max_work_factor_log2) {
    fail("the file's scrypt work factor 2^" + std::to_string(work_factor) +
         " exceeds the limit 2^" + std::to_string(max_work_factor_log2) +
         " (it would take too much time and memory; the file may be forged)");
  }
  std::string salt(kScryptSaltLabel);
  salt += stanza.args[1];
  Secret<kKeyBytes> wrap_key = scrypt_key(passphrase, salt, work_factor);
  return aead.open(wrap_key.data(), kZeroNonce, bytes_of(stanza.body), stanza.body.size(),
                   file_key.data());
}

void AgeDecryptor::State::authenticate_header() {
  // Structure checks of the stanza types we know, whatever our keys.
  bool has_scrypt = false;
  for (Stanza& stanza : stanzas) {
    const std::string& type = stanza.args[0];
    if (type == "X25519") {
      std::optional<std::string> share;
      if (stanza.args.size() == 2) share = base64_decode(stanza.args[1]);
      if (!share || share->size() != kKeyBytes || stanza.body.size() != kFileKeyBytes + kTagBytes) {
        fail("malformed X25519 recipient stanza in the header");
      }
      stanza.args[1] = *share;  // keep the raw share
    } else if (type == "scrypt") {
      has_scrypt = true;
      std::optional<std::string> salt;
      if (stanza.args.size() == 3) salt = base64_decode(stanza.args[1]);
      const std::string& factor = stanza.args.size() == 3 ? stanza.args[2] : std::string();
      bool factor_ok =
          !factor.empty() && factor.size() <= 2 && factor[0] >= '1' && factor[0] <= '9' &&
          std::all_of(factor.begin(), factor.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!salt || salt->size() != 16 || !factor_ok ||
          stanza.body.size() != kFileKeyBytes + kTagBytes) {
        fail("malformed scrypt (passphrase) stanza in the header");
      }
      stanza.args[1] = *salt;
    }
  }
  if (has_scrypt && stanzas.size() > 1) {
    fail(
        "the header mixes an scrypt (passphrase) stanza with other stanzas, which the age "
        "format forbids; the file is malformed or forged");
  }

  bool unwrapped = false;
  if (use_passphrase) {
    if (!has_scrypt) {
      fail(
          "this file is not passphrase-encrypted (its recipients are public keys) — decrypt it "
          "with [encryption] identity_file");
    }
    unwrapped = unwrap_with_passphrase();
    if (!unwrapped) fail("wrong passphrase — check [encryption] passphrase_file");
  } else {
    if (has_scrypt) {
      fail(
          "this file is passphrase-encrypted, so no identity can open it — decrypt it with "
          "[encryption] passphrase_file");
    }
    unwrapped = unwrap_with_identities();
    if (!unwrapped) {
      bool any_x25519 = std::any_of(stanzas.begin(), stanzas.end(),
                                    [](const Stanza& st) { return st.args[0] == "X25519"; });
      std::string types;
      for (std::size_t i = 0; i < stanzas.size() && i < 5 && !any_x25519; ++i) {
        types += (i == 0 ? "" : ", ") + quote_for_message(stanzas[i].args[0]);
      }
      fail("no identity matches any recipient of this file" +
           (any_x25519 ? std::string()
                       : " (it has no X25519 recipient, only " + types +
                             ", which BackupBuddy cannot decrypt)") +
           " — check [encryption] identity_file");
    }
  }

  std::array<unsigned char, 32> expected = header_mac(file_key, mac_input);
  if (mac.size() != expected.size() ||
      CRYPTO_memcmp(expected.data(), mac.data(), expected.size()) != 0) {
    fail("header MAC mismatch: the file's header was modified or damaged");
  }
}

void AgeDecryptor::State::decrypt_chunk(bool final_chunk, const ByteSink& out) {
  std::array<unsigned char, 12> chunk_iv = chunk_nonce(counter, final_chunk);
  if (!aead.open(payload_key.data(), chunk_iv.data(), sealed.data(), sealed_len, plain.data())) {
    std::array<unsigned char, 12> other_iv = chunk_nonce(counter, !final_chunk);
    bool other_ok =
        sealed_len == kSealedChunkBytes &&
        aead.open(payload_key.data(), other_iv.data(), sealed.data(), sealed_len, plain.data());
    if (other_ok) {
      OPENSSL_cleanse(plain.data(), kChunkBytes);
      if (final_chunk) {
        fail("truncated file: it ends after chunk " + std::to_string(counter + 1) +
             " without the final chunk");
      }
      fail("trailing data after the final chunk (chunk " + std::to_string(counter + 1) +
           "); the file is damaged");
    }
    fail("chunk " + std::to_string(counter + 1) + " (at payload offset " +
         std::to_string(counter * kChunkBytes) +
         ") failed authentication: the file is damaged, truncated or was tampered with");
  }
  std::size_t plain_len = sealed_len - kTagBytes;
  ++counter;
  sealed_len = 0;
  if (plain_len > 0) {
    out(reinterpret_cast<const char*>(plain.data()), plain_len);
    bytes_out += plain_len;
  }
}

AgeDecryptor::AgeDecryptor(std::unique_ptr<State> state) : state_(std::move(state)) {}
AgeDecryptor::~AgeDecryptor() = default;
AgeDecryptor::AgeDecryptor(AgeDecryptor&&) noexcept = default;
AgeDecryptor& AgeDecryptor::operator=(AgeDecryptor&&) noexcept = default;

AgeDecryptor AgeDecryptor::with_identities(std::vector<AgeIdentity> identities) {
  for (const AgeIdentity& identity : identities) {
    if (identity.secret.size() != kKeyBytes) {
      throw ConfigError("age: an identity must hold a 32-byte X25519 secret");
    }
  }
  if (identities.empty()) {
    throw ConfigError("age: no identity to decrypt with — check [encryption] identity_file");
  }
  auto state = std::make_unique<State>();
  state->identities = std::move(identities);
  return AgeDecryptor(std::move(state));
}

AgeDecryptor AgeDecryptor::with_passphrase(const std::string& passphrase,
                                           int max_work_factor_log2) {
  if (passphrase.empty()) {
    throw ConfigError("age: the passphrase is empty — check [encryption] passphrase_file");
  }
  auto state = std::make_unique<State>();
  state->passphrase = passphrase;
  state->use_passphrase = true;
  state->max_work_factor_log2 = std::clamp(max_work_factor_log2, 1, 30);
  return AgeDecryptor(std::move(state));
}

std::size_t AgeDecryptor::write_header(const char* data, std::size_t n) {
  State& s = *state_;
  std::size_t used = 0;
  while (s.phase != HeaderPhase::kDone && used < n) {
    const char* newline = static_cast<const char*>(std::memchr(data + used, '\n', n - used));
    std::size_t take =
        newline != nullptr ? static_cast<std::size_t>(newline - data) + 1 - used : n - used;
    if (s.header_text.size() + take > kMaxHeaderBytes) {
      fail("the header is larger than 1 MiB: not an age file, or a damaged one");
    }
    s.header_text.append(data + used, take);
    used += take;
    if (s.phase == HeaderPhase::kVersion && !is_prefix_either_way(s.header_text, kVersionPrefix) &&
        !is_prefix_either_way(s.header_text, kArmorBegin)) {
      fail("not an age file: it does not start with \"age-encryption.org/v1\"");
    }
    if (newline == nullptr) break;
    std::string_view line(s.header_text.data() + s.line_start,
                          s.header_text.size() - 1 - s.line_start);
    s.process_line(line);
    s.line_start = s.header_text.size();
  }
  if (s.phase == HeaderPhase::kDone && !s.authenticated) {
    s.authenticate_header();
    s.authenticated = true;
    // Only the stanza types are still needed (stanza_types()).
    for (Stanza& stanza : s.stanzas) {
      stanza.args.resize(1);
      stanza.body.clear();
      stanza.body_text.clear();
    }
    s.header_text = std::string();
    s.mac_input = std::string();
  }
  return used;
}

void AgeDecryptor::write(const char* data, std::size_t n, const ByteSink& out) {
  State& s = *state_;
  if (s.finished) {
    if (n == 0) return;
    fail("data after the end of the file (internal error: write after finish)");
  }
  std::size_t used = 0;
  if (!s.authenticated) {
    used = write_header(data, n);
    if (!s.authenticated) return;
  }
  if (!s.payload_ready) {
    std::size_t take = std::min(n - used, kPayloadNonceBytes - s.nonce.size());
    s.nonce.append(data + used, take);
    used += take;
    if (s.nonce.size() < kPayloadNonceBytes) return;
    s.payload_key = hkdf_sha256(s.file_key.data(), kFileKeyBytes, s.nonce, "payload");
    s.payload_ready = true;
  }
  while (used < n) {
    // A full buffer is a non-final chunk only if more bytes follow it.
    if (s.sealed_len == kSealedChunkBytes) s.decrypt_chunk(false, out);
    std::size_t take = std::min(n - used, kSealedChunkBytes - s.sealed_len);
    std::memcpy(s.sealed.data() + s.sealed_len, data + used, take);
    s.sealed_len += take;
    used += take;
  }
}

void AgeDecryptor::finish(const ByteSink& out) {
  State& s = *state_;
  if (s.finished) return;
  if (!s.authenticated) {
    if (s.header_text.empty()) fail("the file is empty: not an age file");
    fail("truncated file: it ends inside the header");
  }
  if (!s.payload_ready) fail("truncated file: it ends before the payload");
  if (s.sealed_len < kTagBytes) {
    fail("truncated file: it ends " +
         std::string(s.counter == 0 ? "before the first chunk" : "inside a chunk"));
  }
  if (s.sealed_len == kTagBytes && s.counter > 0) {
    fail(
        "the file ends with an empty final chunk, which the age format forbids; the file is "
        "damaged or forged");
  }
  s.decrypt_chunk(true, out);
  s.finished = true;
}

bool AgeDecryptor::header_done() const { return state_->authenticated; }

std::vector<std::string> AgeDecryptor::stanza_types() const {
  std::vector<std::string> types;
  for (const Stanza& stanza : state_->stanzas) types.push_back(stanza.args[0]);
  return types;
}

std::uint64_t AgeDecryptor::bytes_out() const { return state_->bytes_out; }

std::vector<std::string> age_check_header(std::string_view file_prefix,
                                          const std::vector<AgeIdentity>& identities) {
  AgeDecryptor decryptor = AgeDecryptor::with_identities(identities);
  decryptor.write_header(file_prefix.data(), file_prefix.size());
  if (!decryptor.header_done()) {
    fail(file_prefix.empty() ? std::string("the file is empty: not an age file")
                             : "truncated file: it ends inside the header");
  }
  return decryptor.stanza_types();
}

}  // namespace bb
