#include "server/thread_priority.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace pairdb::server {

std::string_view to_string(CpuPriority value) {
  switch (value) {
    case CpuPriority::kIdle:
      return "idle";
    case CpuPriority::kLow:
      return "low";
    case CpuPriority::kNormal:
      return "normal";
  }
  return "unknown";
}

Status set_thread_priority(CpuPriority priority) {
  switch (priority) {
    case CpuPriority::kNormal:
      return Status::ok();
    case CpuPriority::kLow:
      if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19) != 0) {
        return Status::io_error(fmt::format("setpriority(nice 19): {}", std::strerror(errno)));
      }
      return Status::ok();
    case CpuPriority::kIdle: {
      sched_param param{};
      param.sched_priority = 0;
      if (const int error = ::pthread_setschedparam(::pthread_self(), SCHED_IDLE, &param)) {
        return Status::io_error(
            fmt::format("sched_setscheduler(SCHED_IDLE): {}", std::strerror(error)));
      }
      return Status::ok();
    }
  }
  return Status::invalid_argument("unknown CPU priority");
}

void name_this_thread(std::string_view name) {
  char buffer[16] = {};
  name.copy(buffer, sizeof(buffer) - 1);
  (void)pthread_setname_np(pthread_self(), buffer);
}

}  // namespace pairdb::server
