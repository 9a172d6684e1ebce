#include "support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>

namespace pairdb::test {

using Clock = std::chrono::steady_clock;

std::string HttpReply::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string url_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

Result<RawSocket> RawSocket::connect(uint16_t port, const std::string& host) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    return Status::invalid_argument(fmt::format("not an IPv4 address: {}", host));
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::io_error(fmt::format("socket: {}", std::strerror(errno)));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    const int error = errno;
    ::close(fd);
    return Status::io_error(fmt::format("connect {}:{}: {}", host, port, std::strerror(error)));
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return RawSocket(fd);
}

RawSocket& RawSocket::operator=(RawSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) ::close(fd_);
}

Status RawSocket::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::io_error(fmt::format("send: {}", std::strerror(errno)));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

std::string RawSocket::receive(uint32_t timeout_ms, size_t bytes_max, bool* closed) {
  std::string out;
  *closed = false;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  char buffer[16384];
  bool first = true;  // Always look at the socket once, even with a tiny timeout.
  while (out.size() < bytes_max) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 && !first) break;
    first = false;
    pollfd entry{fd_, POLLIN, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (ready <= 0) {
      if (ready < 0 && errno == EINTR) continue;
      break;
    }
    const ssize_t n = ::recv(fd_, buffer, std::min(sizeof(buffer), bytes_max - out.size()), 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      *closed = true;
      break;
    }
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

bool RawSocket::wait_closed(uint32_t timeout_ms) {
  bool closed = false;
  receive(timeout_ms, SIZE_MAX, &closed);
  return closed;
}

namespace {

Result<HttpReply> parse_reply(const std::string& raw) {
  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return Status::corruption("no complete HTTP response head");
  HttpReply reply;
  const std::string head = raw.substr(0, head_end);
  size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12) return Status::corruption("bad status line: " + status_line);
  reply.status = std::stoi(status_line.substr(9, 3));
  while (line_end != std::string::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    size_t value_start = colon + 1;
    while (value_start < line.size() && line[value_start] == ' ') ++value_start;
    reply.headers[name] = line.substr(value_start);
  }
  reply.body = raw.substr(head_end + 4);
  if (!reply.header("content-length").empty()) {
    const size_t length = std::stoul(reply.header("content-length"));
    if (reply.body.size() < length) return Status::corruption("truncated HTTP body");
    reply.body.resize(length);
  }
  return reply;
}

}  // namespace

Result<HttpReply> http_request(uint16_t port, const std::string& method, const std::string& target,
                               const std::string& body, const HttpHeaders& headers,
                               uint32_t timeout_ms) {
  return http_request_at("127.0.0.1", port, method, target, body, headers, timeout_ms);
}

Result<HttpReply> http_request_at(const std::string& host, uint16_t port, const std::string& method,
                                  const std::string& target, const std::string& body,
                                  const HttpHeaders& headers, uint32_t timeout_ms) {
  PAIRDB_ASSIGN_OR_RETURN(RawSocket socket, RawSocket::connect(port, host));
  std::string request = fmt::format("{} {} HTTP/1.1\r\nHost: {}:{}\r\nConnection: close\r\n",
                                    method, target, host, port);
  bool has_type = false;
  for (const auto& [name, value] : headers) {
    request += fmt::format("{}: {}\r\n", name, value);
    has_type = has_type || name == "Content-Type";
  }
  if (!body.empty() || method == "PUT" || method == "POST") {
    request += fmt::format("Content-Length: {}\r\n", body.size());
  }
  request += "\r\n";
  request += body;
  PAIRDB_TRY(socket.send(request));
  bool closed = false;
  const std::string raw = socket.receive(timeout_ms, 64u << 20, &closed);
  if (!closed)
    return Status::timeout(fmt::format("{} {}: no complete answer in time", method, target));
  return parse_reply(raw);
}

}  // namespace pairdb::test
