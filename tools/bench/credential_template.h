// Per-connection credentials for ringmq-bench: "{n}" in --username and --password becomes the
// connection's index, so a connect storm can log every connection in as its own user (each login
// then pays its own password hash on the broker, as a fleet reconnecting after a restart does).
//
// Thread ownership: pure function; called on the main thread while the run plan is built.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringmq::bench {

inline constexpr std::string_view kClientIndexPlaceholder = "{n}";

// `text` with every "{n}" replaced by `connection_index` in decimal; other text (a lone '{', "{x}")
// is kept as it is, so any existing username or password still means what it meant.
std::string ExpandCredential(std::string_view text, uint32_t connection_index);

}  // namespace ringmq::bench
