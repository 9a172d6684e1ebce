// HTTP requests as the node parses them: Beast's parser under the server's limits, then the
// framing rules (net/http_framing.h) and the request-target parser (server/http_target.h), and
// the UTF-8 sanitiser every error message goes through. None may crash; a sanitised message
// must be valid UTF-8; a refused framing must name its reason.
#include <cstdlib>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "common/utf8.h"
#include "fuzz_util.h"
#include "net/http_framing.h"
#include "server/http/http_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace http = boost::beast::http;
  std::string_view bytes = pairdb::fuzz::as_view(data, size);
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 << 10);
  parser.body_limit(1 << 20);
  boost::system::error_code ec;
  while (!bytes.empty() && !parser.is_done()) {
    const size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec || used == 0) break;
    bytes.remove_prefix(used);
  }
  if (!parser.is_header_done()) return 0;
  const auto verdict = pairdb::net::check_request_framing(parser.get().base());
  if (verdict.refused() && verdict.reason.empty()) std::abort();
  auto target = pairdb::server::parse_http_target(parser.get().target());
  if (!target.is_ok()) {
    if (!pairdb::is_utf8(pairdb::printable_utf8(target.status().message()))) std::abort();
    return 0;
  }
  for (const std::string& segment : target->segments) {
    if (!pairdb::is_utf8(pairdb::printable_utf8(segment))) std::abort();
  }
  return 0;
}
