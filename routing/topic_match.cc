#include "routing/topic_match.h"

#include "routing/topic_levels.h"

namespace ringmq {

bool TopicMatches(std::string_view filter, std::string_view topic) {
  if (IsDollarTopic(topic) && !filter.empty() && (filter.front() == '+' || filter.front() == '#')) return false;
  TopicLevels filter_levels(filter);
  TopicLevels topic_levels(topic);
  while (!filter_levels.done()) {
    std::string_view wanted = filter_levels.Next();
    if (wanted == "#") return true;  // also matches when the topic has no level left (parent)
    if (topic_levels.done()) return false;
    std::string_view actual = topic_levels.Next();
    if (wanted != "+" && wanted != actual) return false;
  }
  return topic_levels.done();
}

}  // namespace ringmq
