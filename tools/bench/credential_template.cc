#include "tools/bench/credential_template.h"

#include "absl/strings/str_cat.h"

namespace ringmq::bench {

std::string ExpandCredential(std::string_view text, uint32_t connection_index) {
  const std::string index = absl::StrCat(connection_index);
  std::string out;
  size_t from = 0;
  for (size_t at = text.find(kClientIndexPlaceholder); at != std::string_view::npos;
       at = text.find(kClientIndexPlaceholder, from)) {
    out.append(text.substr(from, at - from)).append(index);
    from = at + kClientIndexPlaceholder.size();
  }
  out.append(text.substr(from));
  return out;
}

}  // namespace ringmq::bench
