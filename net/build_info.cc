// The one file that includes the generated revision header, so a new commit recompiles only this.
#include "net/build_info.h"

#include "net/build_revision.h"

namespace ringmq {

std::string_view RingmqVersion() { return RINGMQ_VERSION; }

std::string_view RingmqRevision() { return RINGMQ_GIT_REVISION; }

std::string VersionLine() {
  std::string line = "ringmq " + std::string(RingmqVersion());
  if (!RingmqRevision().empty()) line += " (git " + std::string(RingmqRevision()) + ")";
  return line;
}

}  // namespace ringmq
