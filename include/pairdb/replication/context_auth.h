// Authenticated causal contexts: the opaque token a client gets with every read and hands back
// with a write. The cluster MACs each context it issues, so a client can return a context it was
// given but cannot invent one.
//
// Why: a context names, per node, how many writes the client has seen. Trusting a client's
// numbers lets one request claim a counter near 2^64 (every later write of the item would then
// overflow) or name thousands of invented nodes (the item's clock would grow without bound).
// Checking the numbers against the local replica cannot work in a cluster, where a context read
// from one replica may legitimately be ahead of the replica that coordinates the next write.
// A MAC keyed by a secret every node of the cluster shares makes the rule simple: a context is
// valid if the cluster issued it, for this item.
//
// Token format (kContextFormatVersion = 2):
//   u8 version | varint n | n * (16-byte node id, varint counter) | 16-byte tag
//   tag = HMAC-SHA256(key, "pairdb-context-v2" | len-prefixed item binding | bytes before tag),
//   truncated to 16 bytes. The binding (table id, partition key, sort key) ties a context to one
//   item: a context read from a hot item cannot be replayed onto another.
// Keys: the first signs, all of them verify, so a key can be rotated by adding the new one
// first on every node, waiting out the contexts clients hold, then removing the old one.
//
// Each key's HMAC state after its padded key block is computed once, at construction; a tag
// then hashes only the message (OpenSSL's one-shot HMAC() looked up SHA-256 and keyed it again on
// every call: a tenth of a node's CPU when every read and write seals a context).
//
// Thread-safe: immutable after construction.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <pairdb/replication/version_vector.h>
#include <pairdb/status.h>

namespace pairdb::replication {

inline constexpr uint8_t kContextFormatVersion = 2;
inline constexpr size_t kContextTagBytes = 16;
inline constexpr size_t kContextKeyBytesMin = 16;
inline constexpr size_t kContextKeyBytesMax = 1024;
inline constexpr size_t kContextKeysMax = 8;
// A context a client sends may name at most this many nodes. Only a resource bound: the MAC
// already guarantees that the cluster issued the context, and a node id enters an item's clock
// only when that node coordinates a write of the item.
inline constexpr size_t kClientContextEntriesMax = 1024;

class ContextAuthenticator {
 public:
  // REQUIRES: 1 <= keys.size() <= kContextKeysMax; each key's size within
  // [kContextKeyBytesMin, kContextKeyBytesMax].
  explicit ContextAuthenticator(std::vector<std::string> keys);

  // The token for `context` read from the item identified by `item_binding`.
  std::string seal(const VersionVector& context, std::string_view item_binding) const;

  // Untrusted client input. Empty input is the empty context (a blind write). Otherwise
  // Status::invalid_argument, with a message a client can act on, for a token of another format
  // version, a malformed one, one whose tag does not verify under any key (forged, altered,
  // issued by another cluster or for another item), or one naming too many nodes.
  Result<VersionVector> open(std::string_view token, std::string_view item_binding) const;

 private:
  struct KeyedHash;  // One key's precomputed inner and outer HMAC states (context_auth.cc).
  std::string tag(const KeyedHash& key, std::string_view item_binding, std::string_view body) const;

  std::vector<std::string> keys_;                        // keys_[0] signs.
  std::vector<std::shared_ptr<const KeyedHash>> keyed_;  // Parallel to keys_.
};

// Parses a key file: one key per line as hex (at least 2 * kContextKeyBytesMin digits); blank
// lines and lines starting with '#' are ignored; the first key signs. Status::invalid_argument
// naming the line for anything else, or for no key at all.
Result<std::vector<std::string>> parse_context_keys(std::string_view file_text);

}  // namespace pairdb::replication
