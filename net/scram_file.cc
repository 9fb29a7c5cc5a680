#include "net/scram_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace ringmq {

absl::StatusOr<std::shared_ptr<const ScramCredentials>> LoadScramFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("--scram_file ", path, ": ", std::strerror(errno)));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return absl::DataLossError(absl::StrCat("--scram_file ", path, ": read error"));
  absl::StatusOr<ScramCredentials> credentials = ParseScramCredentials(text.str());
  if (!credentials.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--scram_file ", path, ": ", credentials.status().message()));
  }
  return std::make_shared<const ScramCredentials>(*std::move(credentials));
}

}  // namespace ringmq
