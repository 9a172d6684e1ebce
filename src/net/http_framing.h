// Decides, from a request's header alone, whether its message framing is safe to act on
// (RFC 9112 sections 3.2, 6.1 and 6.3). Pure: no I/O, usable by the server and the fuzzer.
//
// Why it exists: Beast frames a request by Content-Length or by a final "chunked" coding and
// treats any other Transfer-Encoding as "no body". A proxy in front of the node may disagree,
// and the body bytes would then be read as the next request (request smuggling). So a request
// whose framing is ambiguous is refused and its connection closed, before its body is read.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <string>

namespace pairdb::net {

struct FramingVerdict {
  // 0 (unset) when the request may be served; otherwise the status to answer with.
  boost::beast::http::status refuse = static_cast<boost::beast::http::status>(0);
  std::string reason;        // Why it was refused, for the error body. ASCII.
  bool close_after = false;  // Serve it, but do not read another request after it.

  bool refused() const { return static_cast<unsigned>(refuse) != 0; }
};

// Rules, in order:
//  - HTTP/1.1 needs exactly one Host field (3.2); HTTP/1.0 may omit it but not repeat it.
//  - Transfer-Encoding in an HTTP/1.0 request: 400 (6.1: the framing is faulty).
//  - Transfer-Encoding whose final coding is not "chunked": 400 (6.3: length unknowable).
//  - "chunked" together with other codings (gzip, ...): 501, as pairdb decodes none of them.
//  - Transfer-Encoding and Content-Length both present: served by the chunked framing, then the
//    connection closes (6.1). (Beast refuses most such requests itself; this covers the rest.)
FramingVerdict check_request_framing(
    const boost::beast::http::request_header<boost::beast::http::fields>& header);

}  // namespace pairdb::net
