#include "net/transport/openssl_error.h"

#include <openssl/err.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ringmq {
namespace {

std::string ReasonOf(unsigned long error) {
  // System errors (a missing file) carry errno, for which OpenSSL has no text of its own.
  if (ERR_SYSTEM_ERROR(error)) {
    char buffer[128];
    return strerror_r(ERR_GET_REASON(error), buffer, sizeof(buffer));  // GNU strerror_r returns the text
  }
  const char* reason = ERR_reason_error_string(error);
  return reason != nullptr ? reason : absl::StrCat("error ", ERR_GET_REASON(error));
}

// "system lib", "EVP lib": which library passed the failure up, not why it failed.
bool IsRelay(const std::string& reason) { return absl::EndsWith(reason, " lib"); }

}  // namespace

std::string TakeOpenSslErrors() {
  std::vector<std::string> reasons;
  while (unsigned long error = ERR_get_error()) {
    std::string reason = ReasonOf(error);
    // A failing file read queues the same reason at several levels; one mention is enough.
    if (std::find(reasons.begin(), reasons.end(), reason) == reasons.end()) reasons.push_back(std::move(reason));
  }
  std::vector<std::string> causes;
  for (const std::string& reason : reasons) {
    if (!IsRelay(reason)) causes.push_back(reason);
  }
  if (causes.empty()) causes = std::move(reasons);
  return causes.empty() ? "no reason given" : absl::StrJoin(causes, ": ");
}

absl::Status OpenSslError(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(absl::string_view(what.data(), what.size()), ": ", TakeOpenSslErrors()));
}

}  // namespace ringmq
