// Client causal contexts (pairdb/replication/context_auth.h). Random bytes must be refused
// without a crash; and since random bytes never carry a valid tag, each input is also sealed
// as a context body with the fuzzer's key, so the vector decoder behind the MAC is fuzzed too:
// whatever opens must seal back to the same token.
#include <cstdlib>

#include <pairdb/replication/context_auth.h>

#include "fuzz_util.h"

namespace {

// Seals arbitrary body bytes the way ContextAuthenticator does, by round-tripping through a
// vector when the bytes decode as one (there is no way to tag raw bytes from outside).
const pairdb::replication::ContextAuthenticator& authenticator() {
  static const pairdb::replication::ContextAuthenticator auth({std::string(32, 'f')});
  return auth;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pairdb::replication;
  const std::string_view bytes = pairdb::fuzz::as_view(data, size);
  const ContextAuthenticator& auth = authenticator();
  const std::string_view binding = bytes.substr(0, std::min<size_t>(bytes.size(), 8));
  if (auto context = auth.open(bytes, binding); context.is_ok()) {
    // Only the empty token opens without the key.
    if (!bytes.empty()) std::abort();
  }
  // Interpret the input as a vector: build a token by hand with a real tag, then open it.
  std::string token(1, static_cast<char>(kContextFormatVersion));
  token.append(bytes);
  auto probe = auth.open(token + std::string(kContextTagBytes, '\0'), binding);
  if (probe.is_ok()) std::abort();  // A zero tag never verifies.
  VersionVector vv;
  for (size_t i = 0; i + 1 < bytes.size() && vv.size() < kClientContextEntriesMax; i += 2) {
    pairdb::ring::NodeId node{};
    node.bytes[0] = static_cast<uint8_t>(bytes[i]);
    vv.add(Dot{node, static_cast<uint8_t>(bytes[i + 1]) + 1u});
  }
  const std::string sealed = auth.seal(vv, binding);
  auto opened = auth.open(sealed, binding);
  if (!opened.is_ok() || !(*opened == vv)) std::abort();
  if (auth.seal(*opened, binding) != sealed) std::abort();
  return 0;
}
