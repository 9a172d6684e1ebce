// Base64 (RFC 4648) in its URL-safe alphabet without padding: how opaque binary tokens (causal
// contexts, page tokens) travel in HTTP headers, query strings and JSON.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pairdb {

std::string base64url_encode(std::string_view bytes);
// Accepts the URL-safe and the standard alphabet, with or without '=' padding; nullopt on any
// other character or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace pairdb
