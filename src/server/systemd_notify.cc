#include "server/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstring>
#include <string>

#include <fmt/format.h>

namespace pairdb::server {

namespace {

// Keeps a STATUS= line readable in `systemctl status` and the datagram small.
constexpr size_t kStatusBytesMax = 512;

Status send(const std::string& state) {
  // unset_environment = 0: later calls (STOPPING=1 after READY=1) must still find the socket.
  int rc = sd_notify(0, state.c_str());
  if (rc < 0) {
    return Status::io_error(fmt::format("sd_notify({}) failed: {}",
                                        state.substr(0, state.find('=')), std::strerror(-rc)));
  }
  return Status::ok();  // rc == 0: NOTIFY_SOCKET unset, nothing to do.
}

}  // namespace

Status notify_ready() { return send("READY=1"); }

Status notify_stopping() { return send("STOPPING=1"); }

Status notify_status(std::string_view text) {
  std::string line(text.substr(0, kStatusBytesMax));
  // A newline would start another assignment in the datagram.
  std::replace_if(
      line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return send("STATUS=" + line);
}

Status notify_watchdog() { return send("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> watchdog_timeout() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

}  // namespace pairdb::server
