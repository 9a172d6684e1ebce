#include "net/http_framing.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

namespace pairdb::net {

namespace http = boost::beast::http;

namespace {

FramingVerdict refuse(http::status status, std::string reason) {
  FramingVerdict verdict;
  verdict.refuse = status;
  verdict.reason = std::move(reason);
  verdict.close_after = true;
  return verdict;
}

// Every coding named by every Transfer-Encoding field, in order.
std::vector<std::string> transfer_codings(const http::fields& fields) {
  std::vector<std::string> codings;
  auto [begin, end] = fields.equal_range(http::field::transfer_encoding);
  for (auto it = begin; it != end; ++it) {
    const http::token_list tokens(it->value());
    for (const auto& coding : tokens) codings.emplace_back(coding);
    // A field with no token at all (empty or only commas) still says "some coding".
    if (tokens.begin() == tokens.end()) codings.emplace_back();
  }
  return codings;
}

}  // namespace

FramingVerdict check_request_framing(const http::request_header<http::fields>& header) {
  const size_t hosts = header.count(http::field::host);
  if (hosts > 1) return refuse(http::status::bad_request, "more than one Host header");
  if (hosts == 0 && header.version() >= 11) {
    return refuse(http::status::bad_request, "an HTTP/1.1 request needs a Host header");
  }
  if (header.count(http::field::transfer_encoding) == 0) return {};
  const std::vector<std::string> codings = transfer_codings(header);
  if (header.version() < 11) {
    return refuse(http::status::bad_request, "Transfer-Encoding is not allowed in HTTP/1.0");
  }
  if (codings.empty() || !boost::beast::iequals(codings.back(), "chunked")) {
    return refuse(http::status::bad_request,
                  "the final Transfer-Encoding must be chunked (the body length is unknowable)");
  }
  if (codings.size() > 1) {
    return refuse(http::status::not_implemented, "only the chunked transfer coding is supported");
  }
  FramingVerdict verdict;
  verdict.close_after = header.count(http::field::content_length) != 0;
  return verdict;
}

}  // namespace pairdb::net
