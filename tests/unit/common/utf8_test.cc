// Strict UTF-8: the boundaries RFC 3629 draws, and the sanitiser that keeps messages valid.
#include <catch2/catch.hpp>

#include "common/utf8.h"

using pairdb::is_utf8;
using pairdb::printable_utf8;

TEST_CASE("well-formed UTF-8 is accepted up to U+10FFFF", "[utf8]") {
  CHECK(is_utf8(""));
  CHECK(is_utf8("plain ascii"));
  CHECK(is_utf8("\xc3\xa9"));          // U+00E9
  CHECK(is_utf8("\xe0\xa0\x80"));      // U+0800, the smallest 3-byte form
  CHECK(is_utf8("\xed\x9f\xbf"));      // U+D7FF, just below the surrogates
  CHECK(is_utf8("\xee\x80\x80"));      // U+E000, just above them
  CHECK(is_utf8("\xf0\x90\x80\x80"));  // U+10000
  CHECK(is_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
}

TEST_CASE("surrogates, overlongs, code points above U+10FFFF and truncations are refused",
          "[utf8]") {
  CHECK_FALSE(is_utf8("\xed\xa0\x80"));      // U+D800 (a surrogate)
  CHECK_FALSE(is_utf8("\xed\xbf\xbf"));      // U+DFFF
  CHECK_FALSE(is_utf8("\xf4\x90\x80\x80"));  // U+110000
  CHECK_FALSE(is_utf8("\xc0\xaf"));          // Overlong '/'
  CHECK_FALSE(is_utf8("\xe0\x9f\xbf"));      // Overlong 3-byte
  CHECK_FALSE(is_utf8("\xf0\x8f\xbf\xbf"));  // Overlong 4-byte
  CHECK_FALSE(is_utf8("\xf5\x80\x80\x80"));
  CHECK_FALSE(is_utf8("\xff"));
  CHECK_FALSE(is_utf8("\x80"));  // A lone continuation byte
  CHECK_FALSE(is_utf8("\xc3"));  // Truncated at the end
  CHECK_FALSE(is_utf8("\xe2\x82"));
  CHECK_FALSE(is_utf8("\xe2(\xa1"));  // Bad continuation
}

TEST_CASE("printable_utf8 escapes exactly the bytes outside well-formed sequences", "[utf8]") {
  CHECK(printable_utf8("ok \xc3\xa9") == "ok \xc3\xa9");
  CHECK(printable_utf8("/nope\xff\xfe") == "/nope\\xFF\\xFE");
  CHECK(printable_utf8("\xed\xa0\x80") == "\\xED\\xA0\\x80");
  CHECK(printable_utf8("a\xc3") == "a\\xC3");
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, static_cast<char>(b));
    CHECK(is_utf8(printable_utf8(one + "\xe2\x82" + one)));
  }
}
