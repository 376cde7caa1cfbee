// Web console password hashes: scrypt with a random salt, parameters in the string.
#include "crypto/password.h"

#include <gtest/gtest.h>

namespace bb {
namespace {

TEST(PasswordTest, HashVerifiesOnlyItsPassword) {
  std::string hash = hash_password("correct horse", 10);
  EXPECT_TRUE(verify_password("correct horse", hash));
  EXPECT_FALSE(verify_password("correct hors", hash));
  EXPECT_FALSE(verify_password("", hash));
  EXPECT_EQ(password_hash_problem(hash), "");
}

TEST(PasswordTest, HashCarriesParametersAndNeverThePassword) {
  std::string hash = hash_password("s3cret-Pa55", 10);
  EXPECT_EQ(hash.rfind("$scrypt$ln=10,r=8,p=1$", 0), 0u) << hash;
  EXPECT_EQ(hash.find("s3cret"), std::string::npos);
}

TEST(PasswordTest, SaltIsRandom) {
  EXPECT_NE(hash_password("same", 10), hash_password("same", 10));
}

TEST(PasswordTest, DefaultWorkFactorIs15) {
  std::string hash = hash_password("x");
  EXPECT_EQ(hash.rfind("$scrypt$ln=15,r=8,p=1$", 0), 0u) << hash;
  EXPECT_TRUE(verify_password("x", hash));
}

TEST(PasswordTest, MalformedHashesAreNoMatchAndNamedProblems) {
  std::string good = hash_password("pw", 10);
  for (std::string bad : {std::string("plain-password"), std::string("$scrypt$ln=15,r=8,p=1$abc"),
                          std::string("$scrypt$ln=40,r=8,p=1$") + good.substr(good.find('$', 9) + 1),
                          std::string("$scrypt$ln=10,r=8,p=1$!!!!$!!!!"), std::string("$2b$12$bcrypt")}) {
    EXPECT_FALSE(verify_password("pw", bad)) << bad;
    EXPECT_NE(password_hash_problem(bad), "") << bad;
    EXPECT_EQ(password_hash_problem(bad).find(bad), std::string::npos);
  }
  // A flipped hash byte no longer matches.
  std::string flipped = good;
  flipped[flipped.size() - 3] = flipped[flipped.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_password("pw", flipped));
}

}  // namespace
}  // namespace bb
