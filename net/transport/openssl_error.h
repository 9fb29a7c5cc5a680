// OpenSSL reports why a call failed in a per-thread error queue; these turn it into one log line and
// leave the queue empty, as the next SSL call on this thread requires.
// Thread ownership: none (works on the calling thread's queue).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ringmq {

// The reasons in the calling thread's OpenSSL error queue, oldest first, joined by ": " (e.g.
// "wrong version number"); "no reason given" when the queue is empty. Empties the queue.
std::string TakeOpenSslErrors();

// InvalidArgumentError("<what>: <reasons>"), emptying the queue.
absl::Status OpenSslError(std::string_view what);

}  // namespace ringmq
