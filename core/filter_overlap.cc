#include "core/filter_overlap.h"

namespace ringmq {
namespace {

// At the first level a wildcard does not match a topic that starts with `$` (MQTT 4.7.2), so it
// meets nothing of a filter whose first level is such a literal.
bool WildcardMissesDollar(size_t index, const FilterLevel& other) {
  return index == 0 && other.is_literal() && other.text.starts_with('$');
}

}  // namespace

FilterLevels SplitFilterLevels(std::string_view filter) {
  FilterLevels levels;
  size_t start = 0;
  while (true) {
    const size_t slash = filter.find('/', start);
    const std::string_view level = filter.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (level == "+") {
      levels.push_back(FilterLevel::Plus());
    } else if (level == "#") {
      levels.push_back(FilterLevel::Hash());
    } else {
      levels.push_back(FilterLevel::Literal(level));
    }
    if (slash == std::string_view::npos) return levels;
    start = slash + 1;
  }
}

bool FilterCovers(const FilterLevels& wide, const FilterLevels& narrow) {
  for (size_t i = 0;; ++i) {
    const bool wide_done = i == wide.size();
    // `narrow`'s topics with exactly i levels: `wide` needs to end here too, or to go on with `#`,
    // which also matches its parent level.
    if (i == narrow.size()) return wide_done || wide[i].is_hash();
    if (wide_done) return false;
    const FilterLevel& w = wide[i];
    const FilterLevel& n = narrow[i];
    if (w.is_literal()) {
      if (!n.is_literal() || n.text != w.text) return false;
      continue;
    }
    if (WildcardMissesDollar(i, n)) return false;
    if (w.is_hash()) return true;
    // `+` is one level where `#` may be none, unless this is the first level: every topic has
    // one, so `+/#` matches all that `#` does.
    if (n.is_hash()) return i == 0 && i + 1 < wide.size() && wide[i + 1].is_hash();
  }
}

std::optional<FilterLevels> FilterIntersection(const FilterLevels& a, const FilterLevels& b) {
  FilterLevels both;
  for (size_t i = 0;; ++i) {
    const bool a_done = i == a.size();
    const bool b_done = i == b.size();
    if (a_done && b_done) return both;
    // One filter ends: they share the topics of exactly i levels only if the other goes on with `#`.
    if (a_done || b_done) {
      const FilterLevel& next = a_done ? b[i] : a[i];
      if (!next.is_hash()) return std::nullopt;
      return both;
    }
    const FilterLevel& x = a[i];
    const FilterLevel& y = b[i];
    if (x.is_hash() || y.is_hash()) {
      const FilterLevels& rest_of = x.is_hash() ? b : a;
      if (WildcardMissesDollar(i, rest_of[i])) return std::nullopt;
      both.insert(both.end(), rest_of.begin() + static_cast<ptrdiff_t>(i), rest_of.end());
      return both;
    }
    if (x.is_literal() && y.is_literal()) {
      if (x.text != y.text) return std::nullopt;
      both.push_back(x);
    } else if (x.is_literal() || y.is_literal()) {
      const FilterLevel& literal = x.is_literal() ? x : y;
      if (WildcardMissesDollar(i, literal)) return std::nullopt;
      both.push_back(literal);
    } else {
      both.push_back(FilterLevel::Plus());
    }
  }
}

}  // namespace ringmq
