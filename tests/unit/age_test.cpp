// Tests of the age format (src/crypto/age.h, bech32.h): known answers from the age
// spec and the C2SP/CCTV testkit, round trips across chunk boundaries, several
// recipients, passphrases, and every way a file can be damaged.
#include "crypto/age.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "crypto/bech32.h"
#include "util/error.h"

namespace bb {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

// The testkit's file key ("YELLOW SUBMARINE") and identities.
const std::string kTestFileKey = "YELLOW SUBMARINE";
const std::string kTestIdentity =
    "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";
const std::string kOldTestIdentity =
    "AGE-SECRET-KEY-1XMWWC06LY3EE5RYTXM9MFLAZ2U56JJJ36S0MYPDRWSVLUL66MV4QX3S7F6";

std::string make_payload(std::size_t n) {
  std::string s(n, '\0');
  std::uint32_t x = 2463534242u;
  for (std::size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s[i] = static_cast<char>(x);
  }
  return s;
}

std::string encrypt(AgeEncryptor enc, const std::string& plain, std::size_t piece = 1 << 20) {
  std::string out;
  ByteSink sink = [&](const char* d, std::size_t n) { out.append(d, n); };
  for (std::size_t pos = 0; pos < plain.size(); pos += piece) {
    enc.write(plain.data() + pos, std::min(piece, plain.size() - pos), sink);
  }
  enc.finish(sink);
  return out;
}

std::string decrypt(AgeDecryptor dec, const std::string& file, std::size_t piece = 1 << 20,
                    std::string* partial = nullptr) {
  std::string out;
  ByteSink sink = [&](const char* d, std::size_t n) { out.append(d, n); };
  try {
    for (std::size_t pos = 0; pos < file.size(); pos += piece) {
      dec.write(file.data() + pos, std::min(piece, file.size() - pos), sink);
    }
    dec.finish(sink);
  } catch (...) {
    if (partial != nullptr) *partial = out;
    throw;
  }
  return out;
}

AgeIdentity identity_from(const std::string& text) {
  return age_parse_identity_file(text + "\n", "test").at(0);
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const OperationError& e) {
    return e.what();
  }
  return "(no OperationError)";
}

// ---- a tiny testkit generator on raw OpenSSL, independent of crypto/age.cpp -----

std::string hkdf(const std::string& ikm, const std::string& salt, const std::string& info) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(ikm.data()),
                                        ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end()};
  if (salt.empty()) params[2] = params[3], params[3] = OSSL_PARAM_construct_end();
  std::string out(32, '\0');
  EXPECT_EQ(EVP_KDF_derive(ctx, reinterpret_cast<unsigned char*>(out.data()), 32, params), 1);
  EVP_KDF_CTX_free(ctx);
  EVP_KDF_free(kdf);
  return out;
}

std::string hmac(const std::string& key, const std::string& data) {
  unsigned char out[32];
  std::size_t len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out,
            &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string seal(const std::string& key, const std::string& nonce, const std::string& plain) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), nullptr,
                     reinterpret_cast<const unsigned char*>(key.data()),
                     reinterpret_cast<const unsigned char*>(nonce.data()));
  std::string out(plain.size() + 16, '\0');
  int len = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (!plain.empty()) {
    EVP_EncryptUpdate(ctx, o, &len, reinterpret_cast<const unsigned char*>(plain.data()),
                      static_cast<int>(plain.size()));
  }
  EVP_EncryptFinal_ex(ctx, o + plain.size(), &len);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, o + plain.size());
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

std::string b64(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

// "--- <mac>\n" for a header (version line and stanzas) under a file key.
std::string mac_line(const std::string& header, const std::string& file_key) {
  return "--- " + b64(hmac(hkdf(file_key, "", "header"), header + "---")) + "\n";
}

// The payload: nonce, then chunks sealed with the STREAM nonce (counter, final flag).
std::string payload(const std::string& file_key, const std::vector<std::string>& chunks,
                    bool last_is_final = true) {
  std::string nonce(16, '\x42');
  std::string key = hkdf(file_key, nonce, "payload");
  std::string out = nonce;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    std::string iv(12, '\0');
    iv[10] = static_cast<char>(i);
    iv[9] = static_cast<char>(i >> 8);
    iv[11] = (last_is_final && i + 1 == chunks.size()) ? 1 : 0;
    out += seal(key, iv, chunks[i]);
  }
  return out;
}

// ---- keys ---------------------------------------------------------------------

TEST(AgeKeys, SpecExampleIdentityHasTheSpecRecipient) {
  AgeIdentity id =
      identity_from("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX");
  EXPECT_EQ(id.public_key(), "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
  EXPECT_EQ(age_identity_to_string(id),
            "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX");
  EXPECT_EQ(id.secret, std::string(32, '\x42'));
}

TEST(AgeKeys, GeneratedIdentityRoundTripsThroughText) {
  AgeIdentity id = age_generate_identity();
  ASSERT_EQ(id.secret.size(), 32u);
  std::string text = age_identity_to_string(id);
  EXPECT_EQ(text.rfind("AGE-SECRET-KEY-1", 0), 0u);
  EXPECT_EQ(text.size(), 74u);
  EXPECT_EQ(identity_from(text).secret, id.secret);
  std::string pub = id.public_key();
  EXPECT_EQ(pub.rfind("age1", 0), 0u);
  EXPECT_EQ(pub.size(), 62u);
  EXPECT_TRUE(age_is_valid_recipient(pub));
  EXPECT_NE(age_generate_identity().secret, id.secret);
}

TEST(AgeKeys, RecipientValidation) {
  std::string good = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";
  EXPECT_TRUE(age_is_valid_recipient(good));
  std::string bad_checksum = good;
  bad_checksum.back() = 'q';
  EXPECT_FALSE(age_is_valid_recipient(bad_checksum));
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_FALSE(age_is_valid_recipient(upper));
  EXPECT_FALSE(age_is_valid_recipient(""));
  EXPECT_FALSE(age_is_valid_recipient("age1"));
  EXPECT_FALSE(age_is_valid_recipient("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"));
  EXPECT_FALSE(age_is_valid_recipient(kTestIdentity));
  // A different human-readable part with a valid checksum.
  EXPECT_FALSE(age_is_valid_recipient(bech32_encode("age1pq", std::string(32, 'x'))));
  // Right hrp, wrong length.
  EXPECT_FALSE(age_is_valid_recipient(bech32_encode("age", std::string(31, 'x'))));
  // The all-zero point is low order: no usable shared secret.
  EXPECT_FALSE(age_is_valid_recipient(bech32_encode("age", std::string(32, '\0'))));
}

TEST(AgeKeys, Bech32RejectsMixedCaseAndBadPadding) {
  std::string s = bech32_encode("age", "hello");
  ASSERT_TRUE(bech32_decode(s));
  EXPECT_EQ(bech32_decode(s)->data, "hello");
  std::string mixed = s;
  mixed[5] = static_cast<char>(std::toupper(static_cast<unsigned char>(mixed[5])));
  if (mixed != s) {
    EXPECT_FALSE(bech32_decode(mixed));
  }
  EXPECT_FALSE(bech32_decode("1qqqqqq"));
  EXPECT_FALSE(bech32_decode("age1"));
  // BIP 173 valid test strings.
  EXPECT_TRUE(bech32_decode("A12UEL5L"));
  EXPECT_TRUE(bech32_decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"));
  EXPECT_FALSE(bech32_decode("A12UEL5l"));  // mixed case
}

TEST(AgeKeys, IdentityFileAsWrittenByAgeKeygen) {
  AgeIdentity a = age_generate_identity();
  AgeIdentity b = age_generate_identity();
  std::string file = "# created: 2024-01-01T00:00:00Z\n# public key: " + a.public_key() + "\n" +
                     age_identity_to_string(a) + "\n\n  # second\r\n" + age_identity_to_string(b) +
                     "\r\n";
  std::vector<AgeIdentity> ids = age_parse_identity_file(file, "/etc/bb/age.key");
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0].secret, a.secret);
  EXPECT_EQ(ids[1].secret, b.secret);
}

TEST(AgeKeys, IdentityFileErrorsNameThePlaceButNeverTheKey) {
  std::string key = age_identity_to_string(age_generate_identity());
  std::string damaged = key;
  damaged[30] = damaged[30] == 'Q' ? 'P' : 'Q';
  try {
    age_parse_identity_file("# x\n" + damaged + "\n", "/etc/bb/age.key");
    FAIL() << "accepted a damaged key";
  } catch (const ConfigError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("/etc/bb/age.key:2"), std::string::npos) << msg;
    EXPECT_EQ(msg.find(damaged.substr(16, 20)), std::string::npos) << msg;
  }
  EXPECT_THROW(age_parse_identity_file("# only comments\n\n", "f"), ConfigError);
  EXPECT_THROW(age_parse_identity_file("", "f"), ConfigError);
  EXPECT_THROW(age_parse_identity_file("AGE-PLUGIN-YUBIKEY-1QQQQQQ\n", "f"), ConfigError);
  EXPECT_THROW(age_parse_identity_file(age_generate_identity().public_key() + "\n", "f"),
               ConfigError);
}

// ---- known answers (C2SP/CCTV age testkit) --------------------------------------

TEST(AgeKnownAnswer, TestkitX25519HeaderUnwrapsAndAuthenticates) {
  const std::string header =
      "age-encryption.org/v1\n"
      "-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n"
      "hjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\n";
  // Our independent generator reproduces the testkit's MAC, so it can build payloads.
  ASSERT_EQ(mac_line(header, kTestFileKey), "--- WyJp9F/9FOZh7gJdheq2WIJcwHgYc8NIVh3ddwhrcNg\n");
  std::string file = header + mac_line(header, kTestFileKey) + payload(kTestFileKey, {"age"});
  EXPECT_EQ(decrypt(AgeDecryptor::with_identities({identity_from(kTestIdentity)}), file), "age");
  // Fed byte by byte, too.
  EXPECT_EQ(decrypt(AgeDecryptor::with_identities({identity_from(kTestIdentity)}), file, 1), "age");
  // The older testkit identity's stanza for the same share.
  const std::string old_header =
      "age-encryption.org/v1\n"
      "-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n"
      "EmECAEcKN+n/Vs9SbWiV+Hu0r+E8R77DdWYyd83nw7U\n";
  ASSERT_EQ(mac_line(old_header, kTestFileKey),
            "--- Vn+54jqiiUCE+WZcEVY3f1sqHjlu/z1LCQ/T7Xm7qI0\n");
  std::string old_file =
      old_header + mac_line(old_header, kTestFileKey) + payload(kTestFileKey, {""});
  EXPECT_EQ(decrypt(AgeDecryptor::with_identities({identity_from(kOldTestIdentity)}), old_file),
            "");
  // The wrong identity does not match.
  EXPECT_NE(error_of([&] {
              decrypt(AgeDecryptor::with_identities({identity_from(kOldTestIdentity)}), file);
            }).find("no identity matches"),
            std::string::npos);
}

TEST(AgeKnownAnswer, TestkitMultipleRecipients) {
  const std::string file =
      "age-encryption.org/v1\n"
      "-> X25519 ajtqAvDEkVNr2B7zUOtq2mAQXDSBlNrVAuM/dKb5sT4\n"
      "0evrK/HQXVsQ4YaDe+659l5OQzvAzD2ytLGHQLQiqxg\n"
      "-> X25519 0qC7u6AbLxuwnM8tPFOWVtWZn/ZZe7z7gcsP5kgA0FI\n"
      "T/PZg76MmVt2IaLntrxppzDnzeFDYHsHFcnTnhbRLQ8\n"
      "--- 7W07ef2PhsTAl74pn+9vSj/Xzukwa6SuTqMc16cdBk0\n" +
      payload(kTestFileKey, {"age"});
  EXPECT_EQ(decrypt(AgeDecryptor::with_identities({identity_from(kOldTestIdentity)}), file), "age");
}

TEST(AgeKnownAnswer, TestkitScryptStanza) {
  // Stanza of the testkit's "scrypt" file: passphrase "password", work factor 2^10.
  const std::string header =
      "age-encryption.org/v1\n"
      "-> scrypt rF0/NwblUHHTpgQgRpe5CQ 10\n"
      "gUjEymFKMVXQEKdMMHL24oYexjE3TIC0O0zGSqJ2aUY\n";
  std::string file = header + mac_line(header, kTestFileKey) + payload(kTestFileKey, {"age"});
  EXPECT_EQ(decrypt(AgeDecryptor::with_passphrase("password"), file), "age");
  EXPECT_NE(error_of([&] {
              decrypt(AgeDecryptor::with_passphrase("hunter2"), file);
            }).find("wrong passphrase"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              decrypt(AgeDecryptor::with_passphrase("password", 9), file);
            }).find("exceeds the limit"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              decrypt(AgeDecryptor::with_identities({identity_from(kTestIdentity)}), file);
            }).find("passphrase-encrypted"),
            std::string::npos);
}

// Testkit files whose header must be refused (the payload never matters).
struct HeaderFailure {
  const char* name;
  const char* header;
  bool passphrase;
};

TEST(AgeKnownAnswer, TestkitHeaderFailures) {
  const HeaderFailure cases[] = {
      {"x25519_low_order",
       "age-encryption.org/v1\n-> X25519 X5yVvKNQjCSx0LFVnIPvWwREXMRYHI6G2CJO3dCfEdc\n"
       "3E0NpFans/m0WLWF7+54ZBdNj3iqQqpraGDFiaRkvBA\n"
       "--- sXw327YMT1/ULXe+ZyRMbMY0Z2jnWHGgI9j1we6yQ8A\n",
       false},
      {"stanza_not_canonical",
       "age-encryption.org/v1\n-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n"
       "hjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\n-> stanza\n"
       "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\nQUF\n"
       "--- nQM2VCzmNLPrUurNWN+SW9wVp/9uTMQ/6CTUM7l8c84\n",
       false},
      {"stanza_missing_final_line",
       "age-encryption.org/v1\n-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n"
       "hjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\n-> stanza\n"
       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
       "--- ORM4jo0+tfqd57vT3+pUVZg/sHurDuHFHhXkG7S+RE4\n",
       false},
      {"scrypt_and_x25519 (identity)",
       "age-encryption.org/v1\n-> X25519 ajtqAvDEkVNr2B7zUOtq2mAQXDSBlNrVAuM/dKb5sT4\n"
       "U+hKlJ4isweJ9PKG7pgscmG3cPASLgTw7SOBpbZ8x2U\n-> scrypt 3d9y0G+8q1ffPQ0xJJatIQ 10\n"
       "foZolxuhRSL7IG7oaR+456IzkHtvue7j4mUjh3DB6EI\n"
       "--- yp4Z0lV1LEdkm1+uDCuPUV+9hIXbPKrBXKQ/f5Y03As\n",
       false},
      {"scrypt_and_x25519 (passphrase)",
       "age-encryption.org/v1\n-> X25519 ajtqAvDEkVNr2B7zUOtq2mAQXDSBlNrVAuM/dKb5sT4\n"
       "U+hKlJ4isweJ9PKG7pgscmG3cPASLgTw7SOBpbZ8x2U\n-> scrypt 3d9y0G+8q1ffPQ0xJJatIQ 10\n"
       "foZolxuhRSL7IG7oaR+456IzkHtvue7j4mUjh3DB6EI\n"
       "--- yp4Z0lV1LEdkm1+uDCuPUV+9hIXbPKrBXKQ/f5Y03As\n",
       true},
      {"scrypt_double",
       "age-encryption.org/v1\n-> scrypt rF0/NwblUHHTpgQgRpe5CQ 10\n"
       "gUjEymFKMVXQEKdMMHL24oYexjE3TIC0O0zGSqJ2aUY\n-> scrypt GzXG5ofdANo6w3msn3QsIQ 10\n"
       "OveITuwxakv7k2oLnioNYF4Bhgz9KZ36pb098wDoAv8\n"
       "--- a5d+4Ay1evJhoDskIzuTZV9bBgKk4573VZNfuoWJDPE\n",
       true},
      {"scrypt_work_factor_23",
       "age-encryption.org/v1\n-> scrypt rF0/NwblUHHTpgQgRpe5CQ 23\n"
       "qW9eVsT0NVb/Vswtw8kPIxUnaYmm9Px1dYmq2+4+qZA\n"
       "--- 38TpQMxQRRNMfmYYpBX6DDrPx4/QY5UmJnhPyVoX/cw\n",
       true},
      {"scrypt_work_factor_wrong (no match)",
       "age-encryption.org/v1\n-> scrypt rF0/NwblUHHTpgQgRpe5CQ 10\n"
       "1hqlaoCUpkgzYI+oTS0p1Nxm9u3Fjib8REjrwp40mRE\n"
       "--- i9lHiMJydkXC7XcQk/j7lrJGmCfzI/L2cfJqGy6jT8I\n",
       true},
      {"scrypt_uppercase (no match)",
       "age-encryption.org/v1\n-> Scrypt rF0/NwblUHHTpgQgRpe5CQ 10\n"
       "gUjEymFKMVXQEKdMMHL24oYexjE3TIC0O0zGSqJ2aUY\n"
       "--- In/TcKP5wDKP14sufF74poPZcpaLVECmfDt0G+yMIs4\n",
       true},
      {"hmac_bad",
       "age-encryption.org/v1\n-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n"
       "hjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\n"
       "--- XyJp9F/9FOZh7gJdheq2WIJcwHgYc8NIVh3ddwhrcNg\n",  // first char changed
       false},
      {"hmac_no_space",
       "age-encryption.org/v1\n-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n"
       "hjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\n"
       "---WyJp9F/9FOZh7gJdheq2WIJcwHgYc8NIVh3ddwhrcNg\n",
       false},
      {"hmac_not_canonical (same MAC, non-zero padding bits)",
       "age-encryption.org/v1\n-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n"
       "hjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\n"
       "--- WyJp9F/9FOZh7gJdheq2WIJcwHgYc8NIVh3ddwhrcNh\n",
       false},
      {"header_crlf",
       "age-encryption.org/v1\r\n-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\r\n"
       "hjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\r\n"
       "--- WyJp9F/9FOZh7gJdheq2WIJcwHgYc8NIVh3ddwhrcNg\r\n",
       false},
      {"version_unsupported",
       "age-encryption.org/v1234\n-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n"
       "hjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\n"
       "--- WyJp9F/9FOZh7gJdheq2WIJcwHgYc8NIVh3ddwhrcNg\n",
       false},
      {"stanza_missing_body",
       "age-encryption.org/v1\n-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n"
       "--- WyJp9F/9FOZh7gJdheq2WIJcwHgYc8NIVh3ddwhrcNg\n",
       false},
      {"x25519_extra_argument",
       "age-encryption.org/v1\n-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc 1\n"
       "hjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\n"
       "--- WyJp9F/9FOZh7gJdheq2WIJcwHgYc8NIVh3ddwhrcNg\n",
       false},
      {"stanza_empty_argument",
       "age-encryption.org/v1\n-> X25519  TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n"
       "hjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\n"
       "--- WyJp9F/9FOZh7gJdheq2WIJcwHgYc8NIVh3ddwhrcNg\n",
       false},
      {"no stanzas", "age-encryption.org/v1\n--- WyJp9F/9FOZh7gJdheq2WIJcwHgYc8NIVh3ddwhrcNg\n",
       false},
  };
  for (const HeaderFailure& c : cases) {
    std::string file = std::string(c.header) + payload(kTestFileKey, {"age"});
    std::string out;
    auto dec = c.passphrase ? AgeDecryptor::with_passphrase("password")
                            : AgeDecryptor::with_identities(
                                  {identity_from(kTestIdentity), identity_from(kOldTestIdentity)});
    EXPECT_THROW(decrypt(std::move(dec), file, 1 << 20, &out), OperationError) << c.name;
    EXPECT_EQ(out, "") << c.name;
  }
}

TEST(AgeKnownAnswer, UnknownStanzasAreIgnoredButNeverSuffice) {
  const std::string x25519 =
      "-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n"
      "hjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\n";
  std::string grease =
      "age-encryption.org/v1\n-> grease 1 2 3\n\n" + x25519 + "-> !\"#$%&' ()*+,-./ 0123\nQUFB\n";
  std::string file = grease + mac_line(grease, kTestFileKey) + payload(kTestFileKey, {"age"});
  auto id = identity_from(kTestIdentity);
  EXPECT_EQ(decrypt(AgeDecryptor::with_identities({id}), file), "age");

  std::string unknown_only = "age-encryption.org/v1\n-> example.com/enigma xyz\nQUFB\n";
  std::string unknown_file =
      unknown_only + mac_line(unknown_only, kTestFileKey) + payload(kTestFileKey, {"age"});
  std::string message =
      error_of([&] { decrypt(AgeDecryptor::with_identities({id}), unknown_file); });
  EXPECT_NE(message.find("no identity matches any recipient of this file"), std::string::npos);
  EXPECT_NE(message.find("\"example.com/enigma\""), std::string::npos) << message;
  EXPECT_NE(message.find("check [encryption] identity_file"), std::string::npos);
  // With an X25519 stanza for someone else, the message is the plain one.
  std::string other_file =
      encrypt(AgeEncryptor::to_recipients({age_generate_identity().public_key()}), "x");
  EXPECT_NE(error_of([&] { decrypt(AgeDecryptor::with_identities({id}), other_file); })
                .find("age: no identity matches any recipient of this file — check [encryption] "
                      "identity_file"),
            std::string::npos);
  // A lowercase "x25519" type is a different, unknown type.
  std::string lower =
      "age-encryption.org/v1\n-> x25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n"
      "hjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\n";
  std::string lower_file = lower + mac_line(lower, kTestFileKey) + payload(kTestFileKey, {"age"});
  EXPECT_THROW(decrypt(AgeDecryptor::with_identities({id}), lower_file), OperationError);
  EXPECT_THROW(decrypt(AgeDecryptor::with_passphrase("password"), unknown_file), OperationError);
}

TEST(AgeKnownAnswer, StreamRules) {
  const std::string header =
      "age-encryption.org/v1\n"
      "-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n"
      "hjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\n";
  std::string head = header + mac_line(header, kTestFileKey);
  auto id = identity_from(kTestIdentity);
  std::string full_a(kChunk, 'a');
  std::string full_b(kChunk, 'b');
  // A full final chunk is legal (stream_last_chunk_full).
  EXPECT_EQ(decrypt(AgeDecryptor::with_identities({id}), head + payload(kTestFileKey, {full_a})),
            full_a);
  EXPECT_EQ(decrypt(AgeDecryptor::with_identities({id}),
                    head + payload(kTestFileKey, {full_a, full_b}), 1000),
            full_a + full_b);
  // An empty final chunk after data is not (stream_last_chunk_empty).
  std::string out;
  EXPECT_THROW(decrypt(AgeDecryptor::with_identities({id}),
                       head + payload(kTestFileKey, {full_a, ""}), 1 << 20, &out),
               OperationError);
  // A stream without a final chunk is truncated (stream_missing_final / no final flag).
  EXPECT_NE(error_of([&] {
              decrypt(AgeDecryptor::with_identities({id}),
                      head + payload(kTestFileKey, {full_a}, /*last_is_final=*/false));
            }).find("truncated"),
            std::string::npos);
  EXPECT_THROW(decrypt(AgeDecryptor::with_identities({id}),
                       head + payload(kTestFileKey, {"x"}, /*last_is_final=*/false)),
               OperationError);
  // No chunk at all (stream_no_chunks), and no nonce (stream_no_nonce).
  EXPECT_THROW(decrypt(AgeDecryptor::with_identities({id}), head + std::string(16, '\x42')),
               OperationError);
  EXPECT_THROW(decrypt(AgeDecryptor::with_identities({id}), head), OperationError);
  EXPECT_THROW(decrypt(AgeDecryptor::with_identities({id}), head + std::string(10, '\x42')),
               OperationError);
  // A short chunk that is not marked final (stream_bad_tag-like), and trailing data
  // after a full final chunk (stream_trailing_garbage).
  EXPECT_NE(error_of([&] {
              decrypt(AgeDecryptor::with_identities({id}),
                      head + payload(kTestFileKey, {full_a}) + "x");
            }).find("trailing data"),
            std::string::npos);
}

// ---- round trips ------------------------------------------------------------------

TEST(AgeRoundTrip, SizesAroundChunkBoundaries) {
  AgeIdentity id = age_generate_identity();
  for (std::size_t size : {0u, 1u, 65535u, 65536u, 65537u, 131072u, 200000u}) {
    std::string plain = make_payload(size);
    std::string file = encrypt(AgeEncryptor::to_recipients({id.public_key()}), plain);
    std::size_t chunks = size == 0 ? 1 : (size + kChunk - 1) / kChunk;
    std::size_t header_len = file.find("\n--- ") + 5 + 43 + 1;
    EXPECT_EQ(file.size(), header_len + 16 + size + 16 * chunks) << size;
    for (std::size_t piece : {std::size_t{1 << 20}, std::size_t{65552}, std::size_t{4097}}) {
      EXPECT_EQ(decrypt(AgeDecryptor::with_identities({id}), file, piece), plain)
          << size << " " << piece;
    }
    if (size <= 65537) {
      EXPECT_EQ(decrypt(AgeDecryptor::with_identities({id}), file, 1), plain) << size;
    }
  }
}

TEST(AgeRoundTrip, SmallWritesProduceTheSameStream) {
  AgeIdentity id = age_generate_identity();
  std::string plain = make_payload(150000);
  std::string file = encrypt(AgeEncryptor::to_recipients({id.public_key()}), plain, 333);
  EXPECT_EQ(decrypt(AgeDecryptor::with_identities({id}), file, 65553), plain);
}

TEST(AgeRoundTrip, OutputComesInBoundedChunks) {
  AgeIdentity id = age_generate_identity();
  std::string plain = make_payload(1 << 20);
  std::size_t largest = 0;
  AgeEncryptor enc = AgeEncryptor::to_recipients({id.public_key()});
  std::string file;
  ByteSink sink = [&](const char* d, std::size_t n) {
    largest = std::max(largest, n);
    file.append(d, n);
  };
  enc.write(plain.data(), plain.size(), sink);
  enc.finish(sink);
  EXPECT_LE(largest, kChunk + 16);
  EXPECT_EQ(enc.bytes_in(), plain.size());
  EXPECT_EQ(enc.bytes_out(), file.size());
  largest = 0;
  AgeDecryptor dec = AgeDecryptor::with_identities({id});
  std::string out;
  ByteSink plain_sink = [&](const char* d, std::size_t n) {
    largest = std::max(largest, n);
    out.append(d, n);
  };
  dec.write(file.data(), file.size(), plain_sink);
  dec.finish(plain_sink);
  EXPECT_EQ(out, plain);
  EXPECT_LE(largest, kChunk);
  EXPECT_EQ(dec.bytes_out(), plain.size());
}

TEST(AgeRoundTrip, SeveralRecipients) {
  AgeIdentity a = age_generate_identity();
  AgeIdentity b = age_generate_identity();
  AgeIdentity c = age_generate_identity();
  std::string plain = make_payload(70000);
  std::string file =
      encrypt(AgeEncryptor::to_recipients({a.public_key(), b.public_key(), c.public_key()}), plain);
  EXPECT_EQ(decrypt(AgeDecryptor::with_identities({a}), file), plain);
  EXPECT_EQ(decrypt(AgeDecryptor::with_identities({b}), file), plain);
  EXPECT_EQ(decrypt(AgeDecryptor::with_identities({age_generate_identity(), c}), file), plain);
  std::string out;
  EXPECT_THROW(
      decrypt(AgeDecryptor::with_identities({age_generate_identity()}), file, 1 << 20, &out),
      OperationError);
  EXPECT_EQ(out, "");
  EXPECT_EQ(age_check_header(file, {b}), (std::vector<std::string>{"X25519", "X25519", "X25519"}));
  EXPECT_THROW(age_check_header(file, {age_generate_identity()}), OperationError);
  EXPECT_THROW(age_check_header(file.substr(0, 60), {a}), OperationError);
  EXPECT_THROW(age_check_header("", {a}), OperationError);
}

TEST(AgeRoundTrip, HeaderFirstThenPayload) {
  AgeIdentity id = age_generate_identity();
  std::string plain = make_payload(70000);
  std::string file = encrypt(AgeEncryptor::to_recipients({id.public_key()}), plain);
  AgeDecryptor dec = AgeDecryptor::with_identities({id});
  std::size_t used = dec.write_header(file.data(), 1000);
  ASSERT_TRUE(dec.header_done());
  EXPECT_EQ(used, file.find("\n--- ") + 5 + 43 + 1);  // stops right after the MAC line
  EXPECT_EQ(dec.stanza_types(), std::vector<std::string>{"X25519"});
  std::string out;
  ByteSink sink = [&](const char* d, std::size_t n) { out.append(d, n); };
  dec.write(file.data() + used, file.size() - used, sink);
  dec.finish(sink);
  EXPECT_EQ(out, plain);
}

TEST(AgeRoundTrip, Passphrase) {
  std::string plain = make_payload(100000);
  std::string file = encrypt(AgeEncryptor::with_passphrase("correct horse", 10), plain);
  EXPECT_NE(file.find("\n-> scrypt "), std::string::npos);
  EXPECT_NE(file.find(" 10\n"), std::string::npos);
  EXPECT_EQ(decrypt(AgeDecryptor::with_passphrase("correct horse"), file, 777), plain);
  std::string out;
  EXPECT_NE(error_of([&] {
              decrypt(AgeDecryptor::with_passphrase("wrong horse"), file, 1 << 20, &out);
            }).find("wrong passphrase"),
            std::string::npos);
  EXPECT_EQ(out, "");
  EXPECT_NE(error_of([&] {
              decrypt(AgeDecryptor::with_passphrase("correct horse", 9), file);
            }).find("work factor"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              decrypt(AgeDecryptor::with_identities({age_generate_identity()}), file);
            }).find("passphrase-encrypted"),
            std::string::npos);
  AgeIdentity id = age_generate_identity();
  std::string x_file = encrypt(AgeEncryptor::to_recipients({id.public_key()}), plain);
  EXPECT_NE(error_of([&] {
              decrypt(AgeDecryptor::with_passphrase("correct horse"), x_file);
            }).find("not passphrase-encrypted"),
            std::string::npos);
  EXPECT_THROW(AgeEncryptor::with_passphrase(""), ConfigError);
  EXPECT_THROW(AgeEncryptor::with_passphrase("x", 23), ConfigError);
  EXPECT_THROW(AgeEncryptor::with_passphrase("x", 0), ConfigError);
}

TEST(AgeRoundTrip, BadRecipientsAreConfigErrors) {
  EXPECT_THROW(AgeEncryptor::to_recipients({}), ConfigError);
  EXPECT_THROW(AgeEncryptor::to_recipients({"age1notakey"}), ConfigError);
  EXPECT_THROW(AgeEncryptor::to_recipients({kTestIdentity}), ConfigError);
  EXPECT_THROW(AgeEncryptor::to_recipients({bech32_encode("age", std::string(32, '\0'))}),
               ConfigError);
  EXPECT_THROW(AgeDecryptor::with_identities({}), ConfigError);
  EXPECT_THROW(AgeDecryptor::with_passphrase(""), ConfigError);
}

// ---- damage -----------------------------------------------------------------------

class AgeDamage : public ::testing::Test {
 protected:
  void SetUp() override {
    plain_ = make_payload(3 * kChunk + 1000);  // four chunks
    file_ = encrypt(AgeEncryptor::to_recipients({id_.public_key()}), plain_);
    header_len_ = file_.find("\n--- ") + 5 + 43 + 1;
  }
  // Decrypts a damaged file; expects a failure and that only whole verified chunks
  // (a prefix of the plaintext) came out.
  std::string expect_failure(const std::string& damaged, const std::string& label) {
    std::string out;
    std::string message;
    try {
      decrypt(AgeDecryptor::with_identities({id_}), damaged, 5000, &out);
      ADD_FAILURE() << label << ": accepted";
    } catch (const OperationError& e) {
      message = e.what();
    }
    EXPECT_EQ(out.size() % kChunk, 0u) << label;
    EXPECT_EQ(out, plain_.substr(0, out.size())) << label;
    EXPECT_EQ(message.rfind("age: ", 0), 0u) << label << ": " << message;
    return message;
  }

  AgeIdentity id_ = age_generate_identity();
  std::string plain_;
  std::string file_;
  std::size_t header_len_ = 0;
};

TEST_F(AgeDamage, FlippedByteAnywhereFails) {
  std::vector<std::size_t> offsets = {
      0, 5, 25, 30, 60, 80, header_len_ - 10, header_len_ - 1, header_len_, header_len_ + 15};
  std::size_t payload_start = header_len_ + 16;
  for (std::size_t chunk = 0; chunk < 4; ++chunk) {
    std::size_t start = payload_start + chunk * (kChunk + 16);
    offsets.push_back(start);
    offsets.push_back(std::min(start + 1234, file_.size() - 1));
    offsets.push_back(std::min(start + kChunk + 15, file_.size() - 1));  // inside the tag
  }
  offsets.push_back(file_.size() - 1);
  for (std::size_t offset : offsets) {
    std::string damaged = file_;
    damaged[offset] = static_cast<char>(damaged[offset] ^ 0x01);
    expect_failure(damaged, "flip at " + std::to_string(offset));
  }
}

TEST_F(AgeDamage, TruncationAnywhereFails) {
  std::size_t payload_start = header_len_ + 16;
  std::vector<std::size_t> lengths = {0,
                                      1,
                                      21,
                                      header_len_ - 1,
                                      header_len_,
                                      header_len_ + 8,
                                      payload_start,
                                      payload_start + 10,
                                      payload_start + kChunk + 16,        // after chunk 1
                                      payload_start + 2 * (kChunk + 16),  // after chunk 2
                                      payload_start + 3 * (kChunk + 16),  // after chunk 3
                                      file_.size() - 1};
  for (std::size_t length : lengths) {
    std::string message =
        expect_failure(file_.substr(0, length), "cut at " + std::to_string(length));
    if (length == payload_start + kChunk + 16) {
      EXPECT_NE(message.find("truncated"), std::string::npos) << message;
    }
  }
}

TEST_F(AgeDamage, TrailingGarbageFails) {
  expect_failure(file_ + "x", "one byte");
  expect_failure(file_ + std::string(100000, 'x'), "100000 bytes");
  expect_failure(file_ + file_, "file twice");
  // After an exact multiple of 64 KiB the message says what happened.
  std::string plain(2 * kChunk, 'z');
  std::string exact = encrypt(AgeEncryptor::to_recipients({id_.public_key()}), plain);
  EXPECT_NE(error_of([&] {
              decrypt(AgeDecryptor::with_identities({id_}), exact + "garbage");
            }).find("trailing data"),
            std::string::npos);
}

TEST_F(AgeDamage, SwappedOrDroppedChunksFail) {
  std::size_t payload_start = header_len_ + 16;
  std::size_t sealed = kChunk + 16;
  std::string swapped =
      file_.substr(0, payload_start) + file_.substr(payload_start + sealed, sealed) +
      file_.substr(payload_start, sealed) + file_.substr(payload_start + 2 * sealed);
  expect_failure(swapped, "swapped chunks");
  std::string dropped =
      file_.substr(0, payload_start + sealed) + file_.substr(payload_start + 2 * sealed);
  expect_failure(dropped, "dropped chunk");
  // The payload of another file under a valid header.
  std::string other = encrypt(AgeEncryptor::to_recipients({id_.public_key()}), plain_);
  std::size_t other_header = other.find("\n--- ") + 5 + 43 + 1;
  expect_failure(file_.substr(0, header_len_) + other.substr(other_header), "foreign payload");
}

TEST_F(AgeDamage, NotAnAgeFile) {
  EXPECT_NE(expect_failure("", "empty").find("empty"), std::string::npos);
  EXPECT_NE(expect_failure(std::string("\x28\xb5\x2f\xfd", 4) + std::string(1000, 'z'), "zstd")
                .find("not an age file"),
            std::string::npos);
  EXPECT_NE(
      expect_failure("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n",
                     "armored")
          .find("ASCII-armored"),
      std::string::npos);
  expect_failure(std::string(2 << 20, '-'), "huge garbage");
  expect_failure("age-encryption.org/v1\n" + std::string(2 << 20, 'A'), "endless header");
}

}  // namespace
}  // namespace bb
