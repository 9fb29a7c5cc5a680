// Filter-versus-filter set logic for MQTT topic filters: does one filter match every topic another
// matches (FilterCovers), and which topics do two filters both match (FilterIntersection). The ACL
// uses it to decide at SUBSCRIBE time whether a subscription needs a read check per delivery.
//
// A filter stands for the set of topic names it matches under MQTT's rules (section 4.7): `+` one
// level, `#` any number of levels including none (`a/#` matches `a`), and a topic starting with `$`
// is not matched by a filter whose first level is a wildcard. A literal level that contains `/`
// (a substituted client id, say) can never equal a topic level; callers drop such filters instead
// of passing them here.
//
// Thread ownership: stateless functions over caller-owned views, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/container/inlined_vector.h"

namespace ringmq {

struct FilterLevel {
  enum class Kind : uint8_t { kLiteral, kPlus, kHash };
  Kind kind = Kind::kLiteral;
  std::string_view text;  // the literal; empty for wildcards

  static FilterLevel Literal(std::string_view text) { return {Kind::kLiteral, text}; }
  static FilterLevel Plus() { return {Kind::kPlus, {}}; }
  static FilterLevel Hash() { return {Kind::kHash, {}}; }
  bool is_literal() const { return kind == Kind::kLiteral; }
  bool is_hash() const { return kind == Kind::kHash; }
  friend bool operator==(const FilterLevel&, const FilterLevel&) = default;
};

// Most fleet filters have well under 16 levels; deeper ones spill to the heap.
using FilterLevels = absl::InlinedVector<FilterLevel, 16>;

// Splits a valid topic filter (core/topic.h) into levels; views point into `filter`.
FilterLevels SplitFilterLevels(std::string_view filter);

// True when every topic `narrow` matches is also matched by `wide`.
bool FilterCovers(const FilterLevels& wide, const FilterLevels& narrow);

// The filter matching exactly the topics both match, or nullopt when no topic matches both. Views
// point into the arguments' texts.
std::optional<FilterLevels> FilterIntersection(const FilterLevels& a, const FilterLevels& b);

inline bool FiltersIntersect(const FilterLevels& a, const FilterLevels& b) {
  return FilterIntersection(a, b).has_value();
}

}  // namespace ringmq
