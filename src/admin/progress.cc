// In-place or line-by-line progress for pairdb-admin's long operations.
#include "admin/progress.h"

#include <unistd.h>

namespace pairdb::admin {
namespace {
constexpr std::chrono::milliseconds kInteractiveInterval{100};
}  // namespace

ProgressReporter::ProgressReporter(std::FILE* out, bool interactive,
                                   std::chrono::milliseconds plain_interval)
    : out_(out), interactive_(interactive), plain_interval_(plain_interval) {}

ProgressReporter::~ProgressReporter() {
  if (line_open_) std::fputc('\n', out_);
}

bool ProgressReporter::is_terminal(std::FILE* out) { return ::isatty(::fileno(out)) == 1; }

void ProgressReporter::update(std::string_view status) {
  const Clock::time_point now = Clock::now();
  const auto interval = interactive_ ? kInteractiveInterval : plain_interval_;
  if (shown_once_ && now - last_shown_ < interval) return;
  shown_once_ = true;
  last_shown_ = now;
  if (interactive_) {
    // Carriage return, then ANSI "erase to end of line", so a shorter status leaves no tail.
    std::fprintf(out_, "\r%.*s\x1b[K", static_cast<int>(status.size()), status.data());
    line_open_ = true;
  } else {
    std::fprintf(out_, "%.*s\n", static_cast<int>(status.size()), status.data());
  }
  std::fflush(out_);
}

void ProgressReporter::finish(std::string_view status) {
  if (interactive_) {
    std::fprintf(out_, "\r%.*s\x1b[K\n", static_cast<int>(status.size()), status.data());
  } else {
    std::fprintf(out_, "%.*s\n", static_cast<int>(status.size()), status.data());
  }
  line_open_ = false;
  std::fflush(out_);
}

}  // namespace pairdb::admin
