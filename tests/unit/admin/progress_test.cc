#include <cstdio>
#include <string>

#include <catch2/catch.hpp>

#include "admin/progress.h"

using pairdb::admin::ProgressReporter;

namespace {

// Everything written to a temporary FILE*.
std::string contents(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string out;
  char buffer[256];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) out.append(buffer, n);
  return out;
}

// Calls write(file) on a fresh temporary file and returns everything it wrote there.
template <typename Write>
std::string output_of(Write write) {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  write(file);
  std::string out = contents(file);
  std::fclose(file);
  return out;
}

}  // namespace

TEST_CASE("on a terminal the status line is rewritten in place") {
  const std::string out = output_of([](std::FILE* file) {
    ProgressReporter progress(file, /*interactive=*/true);
    progress.update("compacting: 1 s");
    progress.update("compacting: 1 s again");  // Within 100 ms of the last: skipped.
    progress.finish("compacting: done");
  });
  CHECK(out == "\rcompacting: 1 s\x1b[K\rcompacting: done\x1b[K\n");
}

TEST_CASE("elsewhere each shown status is a plain line, rate-limited") {
  const std::string out = output_of([](std::FILE* file) {
    ProgressReporter progress(file, /*interactive=*/false, std::chrono::hours(1));
    progress.update("first");
    progress.update("second");  // Within the interval: skipped.
    progress.finish("done");
  });
  CHECK(out == "first\ndone\n");
}

TEST_CASE("an unfinished in-place line is ended when the reporter goes away") {
  const std::string out =
      output_of([](std::FILE* file) { ProgressReporter(file, true).update("working"); });
  CHECK(out == "\rworking\x1b[K\n");
}
