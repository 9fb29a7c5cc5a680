// FUZZ_CHECK: the assertion of the libFuzzer targets. Active in every build type (NDEBUG does not turn
// it off), and a failure aborts, which libFuzzer reports as a crash and saves the input for.
// Thread ownership: stateless, any thread.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace ringmq::fuzz {

[[noreturn]] inline void CheckFailed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "FUZZ_CHECK failed: %s at %s:%d\n", condition, file, line);
  std::abort();
}

}  // namespace ringmq::fuzz

#define FUZZ_CHECK(condition)                                                       \
  do {                                                                              \
    if (!(condition)) ::ringmq::fuzz::CheckFailed(#condition, __FILE__, __LINE__); \
  } while (false)
