// Tests for stream/sha256: FIPS 180-2 vectors, incremental feeding, reuse.
#include "stream/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace bb {
namespace {

TEST(Sha256, Abc) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, Empty) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 hasher;
  EXPECT_EQ(hasher.hex_digest(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, TwoBlockMessage) {
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, MillionAInPieces) {
  Sha256 hasher;
  const std::string piece(1000, 'a');
  for (int i = 0; i < 1000; ++i) hasher.update(piece.data(), piece.size());
  EXPECT_EQ(hasher.bytes(), 1000000u);
  EXPECT_EQ(hasher.hex_digest(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, MillionAAtOnceAndOddSplits) {
  const std::string data(1000000, 'a');
  EXPECT_EQ(sha256_hex(data), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  Sha256 hasher;
  std::size_t pos = 0;
  for (std::size_t step = 1; pos < data.size(); step = step * 3 + 1) {
    std::size_t n = std::min(step, data.size() - pos);
    hasher.update(data.data() + pos, n);
    pos += n;
  }
  EXPECT_EQ(hasher.hex_digest(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, ReusableAfterDigestAndMovable) {
  Sha256 hasher;
  hasher.update("xyz", 3);
  hasher.hex_digest();
  EXPECT_EQ(hasher.bytes(), 0u);
  hasher.update("abc", 3);
  Sha256 moved = std::move(hasher);
  EXPECT_EQ(moved.hex_digest(), sha256_hex("abc"));
}

}  // namespace
}  // namespace bb
