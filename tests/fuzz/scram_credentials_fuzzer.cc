// libFuzzer target: ParseScramCredentials (core/scram_credentials.h), the text of --scram_file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/scram_credentials.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ringmq::ScramCredentials> credentials = ringmq::ParseScramCredentials(text);
  if (!credentials.ok()) {
    FUZZ_CHECK(credentials.status().message().find("line ") != absl::string_view::npos);
    return 0;
  }
  FUZZ_CHECK(credentials->size() <= static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  // An unknown user's made-up verifier is the same every time (the exchange must not reveal who exists).
  const std::string unknown = "no-such-user-" + std::to_string(size);
  if (credentials->Find(unknown) == nullptr) {
    const ringmq::ScramVerifier first = credentials->MockVerifierFor(unknown);
    const ringmq::ScramVerifier second = credentials->MockVerifierFor(unknown);
    FUZZ_CHECK(first.salt == second.salt && first.iterations == second.iterations);
  }
  return 0;
}
