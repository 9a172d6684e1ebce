// systemd service notifications (sd_notify(3)) for a Type=notify unit.
//
// Every call is a no-op returning OK when NOTIFY_SOCKET is unset (not started by systemd). A
// failure to send is returned as Status::io_error; the daemon should log it and carry on.
// Safe from any thread: each call sends one datagram.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include <pairdb/status.h>

namespace pairdb::server {

// "READY=1": start-up finished (listeners bound, storage open).
Status notify_ready();
// "STOPPING=1": shutdown started.
Status notify_stopping();
// "STATUS=<text>": one line shown by `systemctl status`; newlines become spaces.
Status notify_status(std::string_view text);
// "WATCHDOG=1": keep-alive ping, needed only when the unit sets WatchdogSec=.
Status notify_watchdog();

// The unit's watchdog timeout when WatchdogSec= is set for this process (sd_watchdog_enabled);
// ping notify_watchdog() at half of it. Nullopt when the watchdog is off.
std::optional<std::chrono::microseconds> watchdog_timeout();

}  // namespace pairdb::server
