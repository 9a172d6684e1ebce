// A minimal blocking HTTP/1.1 client for end-to-end tests: one request per connection
// (Connection: close), Content-Length bodies, every wait bounded by a deadline.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <pairdb/status.h>

namespace pairdb::test {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // Lower-case names.
  std::string body;
  std::string header(const std::string& lower_name) const;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

Result<HttpReply> http_request(uint16_t port, const std::string& method, const std::string& target,
                               const std::string& body = {}, const HttpHeaders& headers = {},
                               uint32_t timeout_ms = 10'000);

// The same against `host` (an IPv4 address, for cluster nodes on 127.0.0.2 and up).
Result<HttpReply> http_request_at(const std::string& host, uint16_t port, const std::string& method,
                                  const std::string& target, const std::string& body = {},
                                  const HttpHeaders& headers = {}, uint32_t timeout_ms = 10'000);

// Percent-encodes every byte outside [A-Za-z0-9-._~].
std::string url_encode(std::string_view text);

// A raw TCP connection to 127.0.0.1:port for bad-input tests. Closes on destruction.
class RawSocket {
 public:
  static Result<RawSocket> connect(uint16_t port, const std::string& host = "127.0.0.1");
  RawSocket(RawSocket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  RawSocket& operator=(RawSocket&& other) noexcept;
  ~RawSocket();
  Status send(std::string_view bytes);
  // Reads until EOF, `bytes_max` bytes, or the timeout. `closed` tells whether EOF was seen.
  std::string receive(uint32_t timeout_ms, size_t bytes_max, bool* closed);
  // True once the peer has closed (a read returns EOF or a reset) within timeout_ms.
  bool wait_closed(uint32_t timeout_ms);
  int fd() const { return fd_; }

 private:
  explicit RawSocket(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace pairdb::test
