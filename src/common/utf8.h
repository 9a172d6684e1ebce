// Strict UTF-8 (RFC 3629): what every JSON text pairdb emits must be.
#pragma once

#include <string>
#include <string_view>

namespace pairdb {

// True when `bytes` is well-formed UTF-8: no overlong forms, no surrogates (U+D800..U+DFFF),
// nothing above U+10FFFF, no truncated sequence.
bool is_utf8(std::string_view bytes);

// `text` with each byte that is not part of a well-formed sequence written as "\xHH", so
// messages that quote client input stay valid UTF-8 and still show what was sent.
std::string printable_utf8(std::string_view text);

}  // namespace pairdb
