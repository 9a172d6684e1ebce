// Authenticated causal contexts: the cluster's contexts open, anything a client invents or
// alters does not, and a context only opens for the item it was read from.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <pairdb/replication/context_auth.h>

#include "common/coding.h"
#include "replication_test_util.h"

using namespace pairdb;
using namespace pairdb::replication;
using namespace pairdb::replication::testing;

namespace {

const std::string kKeyA(32, 'a');
const std::string kKeyB(32, 'b');

VersionVector full_vector() {
  VersionVector vv;
  for (uint64_t n = 1; n <= 64; ++n) vv.add(Dot{node(n), n * 1000});
  return vv;
}

}  // namespace

TEST_CASE("a sealed context opens to the same vector for the same item", "[context]") {
  const ContextAuthenticator auth({kKeyA});
  const VersionVector vv = full_vector();
  auto opened = auth.open(auth.seal(vv, "item-1"), "item-1");
  REQUIRE(opened.is_ok());
  CHECK(*opened == vv);
  CHECK(auth.open(auth.seal(VersionVector{}, "item-1"), "item-1")->empty());
  CHECK(auth.open("", "item-1")->empty());  // No context: a blind write.
}

TEST_CASE("a context opens only for the item it was read from", "[context]") {
  const ContextAuthenticator auth({kKeyA});
  const std::string token = auth.seal(full_vector(), "item-1");
  CHECK(auth.open(token, "item-2").status().is_invalid_argument());
  // The binding is length-prefixed: moving bytes between binding and body does not verify.
  CHECK(auth.open(token, "item-").status().is_invalid_argument());
}

TEST_CASE("a forged or altered context is refused", "[context]") {
  const ContextAuthenticator auth({kKeyA});
  VersionVector near_overflow;
  near_overflow.add(Dot{node(1), UINT64_MAX - 1});
  // A client that knows the format but not the key: its tag cannot verify.
  std::string forged(1, static_cast<char>(kContextFormatVersion));
  put_varint64(&forged, 1);
  const ring::NodeId id = node(1);
  forged.append(reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size());
  put_varint64(&forged, UINT64_MAX - 1);
  forged.append(kContextTagBytes, '\xff');
  CHECK(auth.open(forged, "item").status().is_invalid_argument());
  // Another cluster's key seals a context this one refuses.
  CHECK(auth.open(ContextAuthenticator({kKeyB}).seal(near_overflow, "item"), "item")
            .status()
            .is_invalid_argument());
  // Every single-bit change of a genuine token is refused.
  const std::string token = auth.seal(full_vector(), "item");
  for (size_t i = 0; i < token.size(); ++i) {
    std::string altered = token;
    altered[i] = static_cast<char>(altered[i] ^ (1 << (i % 8)));
    INFO("byte " << i);
    CHECK_FALSE(auth.open(altered, "item").is_ok());
  }
  CHECK(auth.open(token.substr(0, token.size() - 1), "item").status().is_invalid_argument());
  CHECK(auth.open(token + "x", "item").status().is_invalid_argument());
}

TEST_CASE("a context naming more nodes than the bound is refused", "[context]") {
  const ContextAuthenticator auth({kKeyA});
  VersionVector vv;
  for (uint64_t n = 1; n <= kClientContextEntriesMax + 1; ++n) vv.add(Dot{node(n), 1});
  CHECK(auth.open(auth.seal(vv, "item"), "item").status().is_invalid_argument());
}

TEST_CASE("contexts of the old unauthenticated format are refused with advice", "[context]") {
  const ContextAuthenticator auth({kKeyA});
  auto old = auth.open(std::string("\x01\x00", 2), "item");
  REQUIRE_FALSE(old.is_ok());
  CHECK(old.status().is_invalid_argument());
  CHECK_THAT(std::string(old.status().message()), Catch::Contains("read the item again"));
}

TEST_CASE("a rotated-out key still verifies while listed, and stops when removed", "[context]") {
  const std::string old_token = ContextAuthenticator({kKeyA}).seal(full_vector(), "item");
  const ContextAuthenticator rotating({kKeyB, kKeyA});
  CHECK(rotating.open(old_token, "item").is_ok());
  // New contexts are signed with the first key only.
  const std::string new_token = rotating.seal(full_vector(), "item");
  CHECK(ContextAuthenticator({kKeyB}).open(new_token, "item").is_ok());
  CHECK_FALSE(ContextAuthenticator({kKeyA}).open(new_token, "item").is_ok());
  CHECK_FALSE(ContextAuthenticator({kKeyB}).open(old_token, "item").is_ok());
}

TEST_CASE("key files are parsed strictly", "[context]") {
  const std::string hex_a(64, 'a');
  const std::string hex_b(64, 'B');
  auto keys = parse_context_keys("# rotated 2026-12-02\n" + hex_b + "\n\n  " + hex_a + "  \r\n");
  REQUIRE(keys.is_ok());
  REQUIRE(keys->size() == 2);
  CHECK((*keys)[0] == std::string(32, '\xbb'));
  CHECK((*keys)[1] == std::string(32, '\xaa'));
  CHECK_FALSE(parse_context_keys("").is_ok());
  CHECK_FALSE(parse_context_keys("# only a comment\n").is_ok());
  CHECK_FALSE(parse_context_keys(std::string(30, 'a')).is_ok());  // Too short.
  CHECK_FALSE(parse_context_keys(std::string(65, 'a')).is_ok());  // Odd digit count.
  CHECK_FALSE(parse_context_keys(std::string(64, 'g')).is_ok());  // Not hex.
  std::string nine;
  for (int i = 0; i < 9; ++i) nine += hex_a + "\n";
  CHECK_FALSE(parse_context_keys(nine).is_ok());
}

TEST_CASE("a context's tag is HMAC-SHA256 over the domain, the item binding and the body",
          "[context]") {
  // The tag is computed from precomputed key states; OpenSSL's one-shot HMAC is the reference,
  // for keys shorter than, equal to and longer than SHA-256's 64-byte block.
  for (const size_t key_bytes : {size_t{16}, size_t{63}, size_t{64}, size_t{65}, size_t{1024}}) {
    std::string key;
    for (size_t i = 0; i < key_bytes; ++i) key.push_back(static_cast<char>(i * 7 + key_bytes));
    const ContextAuthenticator auth({key});
    for (const std::string& binding : {std::string("item-1"), std::string(300, 'x')}) {
      INFO(key_bytes << "-byte key, " << binding.size() << "-byte binding");
      const std::string token = auth.seal(full_vector(), binding);
      REQUIRE(token.size() > 16);
      const std::string body = token.substr(0, token.size() - 16);
      std::string message = "pairdb-context-v2";
      put_length_prefixed(&message, binding);
      message += body;
      unsigned char digest[EVP_MAX_MD_SIZE];
      unsigned int digest_bytes = 0;
      REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                   reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
                   &digest_bytes) != nullptr);
      CHECK(token.substr(body.size()) == std::string(reinterpret_cast<const char*>(digest), 16));
    }
  }
}
