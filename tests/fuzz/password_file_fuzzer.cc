// libFuzzer target: PasswordFile::Parse (core/password_file.h), the text of --password_file.
// Verify is not called: a line may legitimately ask for up to a million PBKDF2 iterations.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/password_file.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ringmq::PasswordFile> file = ringmq::PasswordFile::Parse(text);
  if (!file.ok()) {
    // Every refusal names its line, so an operator can find it.
    FUZZ_CHECK(file.status().message().find("line ") != absl::string_view::npos);
    return 0;
  }
  // At most one user a line, and comments added around the file change nothing.
  FUZZ_CHECK(file->size() <= static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  const std::string commented = "# leading comment\n" + std::string(text) + "\n# trailing comment\n";
  absl::StatusOr<ringmq::PasswordFile> again = ringmq::PasswordFile::Parse(commented);
  FUZZ_CHECK(again.ok() && again->size() == file->size());
  return 0;
}
