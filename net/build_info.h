// Which ringmq this is: the meson project version and the git revision it was built from.
// Thread ownership: constants, any thread.
#pragma once

#include <string>
#include <string_view>

namespace ringmq {

std::string_view RingmqVersion();   // meson project version, e.g. 0.1.0
std::string_view RingmqRevision();  // git describe of the build tree, e.g. 4d1d7cd0a2b3-dirty; empty if none
// What `ringmq --version` prints: "ringmq 0.1.0 (git 4d1d7cd0a2b3)", without the part in brackets
// when there is no revision.
std::string VersionLine();

}  // namespace ringmq
