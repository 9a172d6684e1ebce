#include "common/utf8.h"

#include <cstdint>

#include <fmt/format.h>

namespace pairdb {

namespace {

// Length of the well-formed sequence starting at bytes[i], or 0 if there is none. The ranges
// of the second byte follow RFC 3629 section 4 (Table 3-7 of the Unicode standard).
size_t sequence_length(std::string_view bytes, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(bytes[i + k]); };
  const uint8_t lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint8_t second_min = 0x80;
  uint8_t second_max = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) second_min = 0xa0;  // Overlong below U+0800.
    if (lead == 0xed) second_max = 0x9f;  // Surrogates U+D800..U+DFFF.
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) second_min = 0x90;  // Overlong below U+10000.
    if (lead == 0xf4) second_max = 0x8f;  // Above U+10FFFF.
  } else {
    return 0;  // Continuation byte, overlong lead (C0, C1) or F5..FF.
  }
  if (i + length > bytes.size()) return 0;
  if (byte(1) < second_min || byte(1) > second_max) return 0;
  for (size_t k = 2; k < length; ++k) {
    if ((byte(k) & 0xc0) != 0x80) return 0;
  }
  return length;
}

}  // namespace

bool is_utf8(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    const size_t length = sequence_length(bytes, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string printable_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t length = sequence_length(text, i);
    if (length == 0) {
      out += fmt::format("\\x{:02X}", static_cast<uint8_t>(text[i]));
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

}  // namespace pairdb
