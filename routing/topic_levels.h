// TopicLevels: walks the `/`-separated levels of a topic name or filter without allocating.
// "a//b" has three levels ("a", "", "b"), "/x" two ("", "x"), "a/" two ("a", "").
//
// Thread ownership: a view-holding value, used by the thread that created it.
#pragma once

#include <string_view>

namespace ringmq {

class TopicLevels {
 public:
  explicit TopicLevels(std::string_view text) : rest_(text) {}

  // No level left to return.
  bool done() const { return done_; }

  // Returns the next level. Precondition: !done().
  std::string_view Next() {
    size_t slash = rest_.find('/');
    std::string_view level = rest_.substr(0, slash);
    if (slash == std::string_view::npos) {
      done_ = true;
      rest_ = {};
    } else {
      rest_.remove_prefix(slash + 1);
    }
    return level;
  }

  // The unread text after the last returned level (empty once done()).
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
  bool done_ = false;
};

// Topics starting with `$` (e.g. `$SYS/...`) are invisible to filters starting with a wildcard.
inline bool IsDollarTopic(std::string_view topic) { return !topic.empty() && topic.front() == '$'; }

}  // namespace ringmq
