// CpuPriority: how much CPU a background thread of the daemon may take from the request path,
// and set_thread_priority, which applies one to the calling thread (Linux schedules threads
// individually, so this changes no other thread of the process); name_this_thread, the name an
// operator sees for it in top -H, ps -L and perf.
#pragma once

#include <cstdint>
#include <string_view>

#include <pairdb/status.h>

namespace pairdb::server {

enum class CpuPriority : uint8_t {
  // SCHED_IDLE: runs only on CPU time no normal thread wants, and the kernel preempts it the
  // moment a normal thread wakes up, so it adds no scheduling delay to requests.
  kIdle,
  kLow,     // nice 19 under the normal policy: a small share when the CPU is contended.
  kNormal,  // As the request path.
};

std::string_view to_string(CpuPriority value);

// Applies `priority` to the calling thread. kNormal leaves the thread as it is.
Status set_thread_priority(CpuPriority priority);

// Names the calling thread (the kernel keeps 15 bytes; longer names are cut). Best effort.
void name_this_thread(std::string_view name);

}  // namespace pairdb::server
