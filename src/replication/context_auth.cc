#include <pairdb/replication/context_auth.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <fmt/format.h>

#include "common/assert.h"
#include "common/coding.h"
#include "replication/context_vector_codec.h"

namespace pairdb::replication {

namespace {

constexpr std::string_view kTagDomain = "pairdb-context-v2";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view line) {
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  return line;
}

Result<std::string> parse_hex_key(std::string_view line, size_t line_number) {
  if (line.size() % 2 != 0 || line.size() < 2 * kContextKeyBytesMin ||
      line.size() > 2 * kContextKeyBytesMax) {
    return Status::invalid_argument(
        fmt::format("context key on line {} must be {} to {} hex digits (an even count)",
                    line_number, 2 * kContextKeyBytesMin, 2 * kContextKeyBytesMax));
  }
  std::string key;
  key.reserve(line.size() / 2);
  for (size_t i = 0; i < line.size(); i += 2) {
    const int high = hex_digit(line[i]);
    const int low = hex_digit(line[i + 1]);
    if (high < 0 || low < 0) {
      return Status::invalid_argument(
          fmt::format("context key on line {} is not hexadecimal", line_number));
    }
    key.push_back(static_cast<char>(high * 16 + low));
  }
  return key;
}

struct DigestContextFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using DigestContext = std::unique_ptr<EVP_MD_CTX, DigestContextFree>;

DigestContext new_digest_context() {
  DigestContext context(EVP_MD_CTX_new());
  PAIRDB_ASSERT(context != nullptr);
  return context;
}

// OpenSSL's digest calls fail only for invalid arguments or allocation failure.
void openssl_ok(int result) { PAIRDB_ASSERT(result == 1); }

void digest_update(EVP_MD_CTX* context, std::string_view bytes) {
  openssl_ok(EVP_DigestUpdate(context, bytes.data(), bytes.size()));
}

// The per-thread context a tag is computed in (copied from a key's precomputed state).
EVP_MD_CTX* scratch_context() {
  thread_local DigestContext scratch = new_digest_context();
  return scratch.get();
}

constexpr size_t kSha256BlockBytes = 64;

}  // namespace

// HMAC-SHA256 (RFC 2104) split at the key: `inner` has absorbed the key block XOR ipad, `outer`
// the key block XOR opad; HMAC(m) = H(outer | H(inner | m)).
struct ContextAuthenticator::KeyedHash {
  DigestContext inner = new_digest_context();
  DigestContext outer = new_digest_context();

  explicit KeyedHash(std::string_view key) {
    std::string block(key);
    if (block.size() > kSha256BlockBytes) {  // A long key is replaced by its digest.
      unsigned char digest[EVP_MAX_MD_SIZE];
      unsigned int digest_bytes = 0;
      openssl_ok(EVP_Digest(key.data(), key.size(), digest, &digest_bytes, EVP_sha256(), nullptr));
      block.assign(reinterpret_cast<const char*>(digest), digest_bytes);
    }
    block.resize(kSha256BlockBytes, '\0');
    std::string inner_pad(block), outer_pad(block);
    for (size_t i = 0; i < kSha256BlockBytes; ++i) {
      inner_pad[i] = static_cast<char>(inner_pad[i] ^ 0x36);
      outer_pad[i] = static_cast<char>(outer_pad[i] ^ 0x5c);
    }
    openssl_ok(EVP_DigestInit_ex(inner.get(), EVP_sha256(), nullptr));
    openssl_ok(EVP_DigestInit_ex(outer.get(), EVP_sha256(), nullptr));
    digest_update(inner.get(), inner_pad);
    digest_update(outer.get(), outer_pad);
    OPENSSL_cleanse(block.data(), block.size());
    OPENSSL_cleanse(inner_pad.data(), inner_pad.size());
    OPENSSL_cleanse(outer_pad.data(), outer_pad.size());
  }
};

ContextAuthenticator::ContextAuthenticator(std::vector<std::string> keys) : keys_(std::move(keys)) {
  PAIRDB_ASSERT(!keys_.empty());
  PAIRDB_ASSERT(keys_.size() <= kContextKeysMax);
  for (const std::string& key : keys_) {
    PAIRDB_ASSERT(key.size() >= kContextKeyBytesMin);
    PAIRDB_ASSERT(key.size() <= kContextKeyBytesMax);
    keyed_.push_back(std::make_shared<const KeyedHash>(key));
  }
}

std::string ContextAuthenticator::tag(const KeyedHash& key, std::string_view item_binding,
                                      std::string_view body) const {
  EVP_MD_CTX* context = scratch_context();
  unsigned char inner_digest[EVP_MAX_MD_SIZE];
  unsigned int inner_bytes = 0;
  openssl_ok(EVP_MD_CTX_copy_ex(context, key.inner.get()));
  digest_update(context, kTagDomain);
  // The binding, length-prefixed as put_length_prefixed writes it.
  char length[10];
  const char* length_end = encode_varint64(length, item_binding.size());
  digest_update(context, std::string_view(length, static_cast<size_t>(length_end - length)));
  digest_update(context, item_binding);
  digest_update(context, body);
  openssl_ok(EVP_DigestFinal_ex(context, inner_digest, &inner_bytes));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_bytes = 0;
  openssl_ok(EVP_MD_CTX_copy_ex(context, key.outer.get()));
  openssl_ok(EVP_DigestUpdate(context, inner_digest, inner_bytes));
  openssl_ok(EVP_DigestFinal_ex(context, digest, &digest_bytes));
  PAIRDB_ASSERT(digest_bytes >= kContextTagBytes);
  return std::string(reinterpret_cast<const char*>(digest), kContextTagBytes);
}

std::string ContextAuthenticator::seal(const VersionVector& context,
                                       std::string_view item_binding) const {
  std::string token;
  token.push_back(static_cast<char>(kContextFormatVersion));
  put_context_vector(&token, context);
  token.append(tag(*keyed_.front(), item_binding, token));
  return token;
}

Result<VersionVector> ContextAuthenticator::open(std::string_view token,
                                                 std::string_view item_binding) const {
  if (token.empty()) return VersionVector();
  const auto format = static_cast<uint8_t>(token.front());
  if (format != kContextFormatVersion) {
    return Status::invalid_argument(fmt::format(
        "causal context of format {} is not accepted (this node issues format {}); read the item "
        "again and write back with the context of that read",
        format, kContextFormatVersion));
  }
  if (token.size() < 1 + kContextTagBytes) {
    return Status::invalid_argument("causal context is truncated");
  }
  const std::string_view body = token.substr(0, token.size() - kContextTagBytes);
  const std::string_view presented = token.substr(body.size());
  bool verified = false;
  for (const auto& key : keyed_) {
    const std::string expected = tag(*key, item_binding, body);
    verified |= CRYPTO_memcmp(expected.data(), presented.data(), kContextTagBytes) == 0;
  }
  if (!verified) {
    return Status::invalid_argument(
        "causal context was not issued by this cluster for this item (altered, forged, or read "
        "from another item)");
  }
  std::string_view vector_bytes = body.substr(1);
  auto context = get_context_vector(&vector_bytes, kClientContextEntriesMax);
  if (!context.is_ok() || !vector_bytes.empty()) {
    return Status::invalid_argument("causal context is malformed");
  }
  return context;
}

Result<std::vector<std::string>> parse_context_keys(std::string_view file_text) {
  std::vector<std::string> keys;
  size_t line_number = 0;
  while (!file_text.empty()) {
    const size_t newline = file_text.find('\n');
    const std::string_view line = trim(file_text.substr(0, newline));
    file_text = newline == std::string_view::npos ? "" : file_text.substr(newline + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    if (keys.size() == kContextKeysMax) {
      return Status::invalid_argument(
          fmt::format("more than {} context keys (line {})", kContextKeysMax, line_number));
    }
    PAIRDB_ASSIGN_OR_RETURN(auto key, parse_hex_key(line, line_number));
    keys.push_back(std::move(key));
  }
  if (keys.empty()) return Status::invalid_argument("no context key in the file");
  return keys;
}

}  // namespace pairdb::replication
