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

}  // namespace

TEST_CASE("on a terminal the status line is rewritten in place") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  {
    ProgressReporter progress(file, /*interactive=*/true);
    progress.update("compacting: 1 s");
    progress.update("compacting: 1 s again");  // Within 100 ms of the last: skipped.
    progress.finish("compacting: done");
  }
  CHECK(contents(file) == "\rcompacting: 1 s\x1b[K\rcompacting: done\x1b[K\n");
  std::fclose(file);
}

TEST_CASE("elsewhere each shown status is a plain line, rate-limited") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  {
    ProgressReporter progress(file, /*interactive=*/false, std::chrono::hours(1));
    progress.update("first");
    progress.update("second");  // Within the interval: skipped.
    progress.finish("done");
  }
  CHECK(contents(file) == "first\ndone\n");
  std::fclose(file);
}

TEST_CASE("an unfinished in-place line is ended when the reporter goes away") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  { ProgressReporter(file, true).update("working"); }
  CHECK(contents(file) == "\rworking\x1b[K\n");
  std::fclose(file);
}
