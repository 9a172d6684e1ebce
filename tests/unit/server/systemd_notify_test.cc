// sd_notify against a NOTIFY_SOCKET this test owns: a unix datagram socket in a temp directory.
#include <catch2/catch.hpp>

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "server/systemd_notify.h"
#include "support/temp_dir.h"

using namespace pairdb::server;

namespace {

constexpr int kReceiveTimeoutMs = 5000;

// Binds a datagram socket in a fresh temp directory and points NOTIFY_SOCKET at it.
class FakeNotifySocket {
 public:
  FakeNotifySocket() {
    path_ = dir_.path() + "/notify.sock";
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof(addr.sun_path));
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(setenv("NOTIFY_SOCKET", path_.c_str(), 1) == 0);
  }
  ~FakeNotifySocket() {
    unsetenv("NOTIFY_SOCKET");
    close(fd_);
  }

  // The next datagram, or "" when none arrives within kReceiveTimeoutMs.
  std::string receive() {
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    if (poll(&p, 1, kReceiveTimeoutMs) != 1) return {};
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

  const std::string& path() const { return path_; }

 private:
  pairdb::test::TempDir dir_;  // Declared first: removed last, after the socket closes.
  std::string path_;
  int fd_ = -1;
};

}  // namespace

TEST_CASE("systemd: notify_ready sends READY=1 to NOTIFY_SOCKET", "[systemd]") {
  FakeNotifySocket socket;
  pairdb::Status s = notify_ready();
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  REQUIRE(socket.receive() == "READY=1");
  // The socket stays usable for later notifications.
  REQUIRE(notify_stopping().is_ok());
  REQUIRE(socket.receive() == "STOPPING=1");
  REQUIRE(notify_watchdog().is_ok());
  REQUIRE(socket.receive() == "WATCHDOG=1");
}

TEST_CASE("systemd: a status line cannot inject other assignments", "[systemd]") {
  FakeNotifySocket socket;
  REQUIRE(notify_status("serving\nREADY=1").is_ok());
  REQUIRE(socket.receive() == "STATUS=serving READY=1");
}

TEST_CASE("systemd: without NOTIFY_SOCKET every call is a successful no-op", "[systemd]") {
  unsetenv("NOTIFY_SOCKET");
  REQUIRE(notify_ready().is_ok());
  REQUIRE(notify_stopping().is_ok());
  REQUIRE(notify_status("x").is_ok());
  REQUIRE(notify_watchdog().is_ok());
  REQUIRE_FALSE(watchdog_timeout().has_value());
}

TEST_CASE("systemd: an unreachable NOTIFY_SOCKET is an I/O error", "[systemd]") {
  std::string missing;
  {
    FakeNotifySocket socket;
    missing = socket.path();
  }  // Socket closed and its directory removed.
  REQUIRE(setenv("NOTIFY_SOCKET", missing.c_str(), 1) == 0);
  pairdb::Status s = notify_ready();
  unsetenv("NOTIFY_SOCKET");
  REQUIRE(s.is_io_error());
  REQUIRE_THAT(std::string(s.message()), Catch::StartsWith("sd_notify(READY) failed: "));
}

TEST_CASE("systemd: the watchdog timeout comes from WATCHDOG_USEC for this process", "[systemd]") {
  REQUIRE(setenv("WATCHDOG_USEC", "30000000", 1) == 0);
  REQUIRE(setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1) == 0);
  auto timeout = watchdog_timeout();
  REQUIRE(timeout.has_value());
  REQUIRE(timeout->count() == 30000000);
  // Meant for another process (a child inheriting the environment): off.
  REQUIRE(setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1) == 0);
  REQUIRE_FALSE(watchdog_timeout().has_value());
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
}
