#include "core/filter_overlap.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace ringmq {
namespace {

bool Covers(std::string_view wide, std::string_view narrow) {
  return FilterCovers(SplitFilterLevels(wide), SplitFilterLevels(narrow));
}

// The intersection written back as a filter, or "(none)".
std::string Intersect(std::string_view a, std::string_view b) {
  const std::optional<FilterLevels> both = FilterIntersection(SplitFilterLevels(a), SplitFilterLevels(b));
  if (!both) return "(none)";
  std::string text;
  for (size_t i = 0; i < both->size(); ++i) {
    if (i > 0) text += '/';
    const FilterLevel& level = (*both)[i];
    text += level.kind == FilterLevel::Kind::kPlus ? "+" : level.kind == FilterLevel::Kind::kHash ? "#" : std::string(level.text);
  }
  return text;
}

TEST(SplitFilterLevels, EmptyLevelsCount) {
  const FilterLevels levels = SplitFilterLevels("/a//+/#");
  ASSERT_EQ(levels.size(), 5u);
  EXPECT_EQ(levels[0], FilterLevel::Literal(""));
  EXPECT_EQ(levels[2], FilterLevel::Literal(""));
  EXPECT_EQ(levels[3], FilterLevel::Plus());
  EXPECT_EQ(levels[4], FilterLevel::Hash());
  EXPECT_EQ(SplitFilterLevels("a/").size(), 2u);
}

TEST(FilterCovers, Table) {
  struct Case {
    const char* wide;
    const char* narrow;
    bool covers;
  };
  for (const Case& c : {
           Case{"a/b", "a/b", true},
           Case{"a/b", "a/c", false},
           Case{"a/+", "a/b", true},
           Case{"a/+", "a/+", true},
           Case{"a/b", "a/+", false},
           Case{"a/+", "a/#", false},        // a/# also matches a and a/b/c
           Case{"a/#", "a", true},           // `#` matches its parent
           Case{"a/#", "a/#", true},
           Case{"a/#", "a/+/c/#", true},
           Case{"a/+/#", "a/#", false},      // a/# matches a, a/+/# does not
           Case{"a/+/#", "a/+", true},
           Case{"a", "a/#", false},
           Case{"a/b", "a/b/c", false},
           Case{"a/b/c", "a/b", false},
           Case{"#", "a/b/c", true},
           Case{"#", "+", true},
           Case{"#", "#", true},
           Case{"#", "$SYS/x", false},       // wildcards at the first level miss `$` topics
           Case{"+/x", "$SYS/x", false},
           Case{"$SYS/#", "$SYS/x/y", true},
           Case{"$SYS/+", "$SYS/x", true},
           Case{"+/#", "#", true},           // both match every non-`$` topic
           Case{"+", "#", false},
           Case{"a/+/#", "a/#", false},
           Case{"+/+/#", "#", false},      // `#` matches one-level topics
           Case{"a//b", "a//b", true},
           Case{"a/+/b", "a//b", true},      // an empty level is a level
       }) {
    EXPECT_EQ(Covers(c.wide, c.narrow), c.covers) << c.wide << " covers " << c.narrow;
  }
}

TEST(FilterIntersection, Table) {
  struct Case {
    const char* a;
    const char* b;
    const char* both;
  };
  for (const Case& c : {
           Case{"a/b", "a/b", "a/b"},
           Case{"a/b", "a/c", "(none)"},
           Case{"a/+", "a/b", "a/b"},
           Case{"+/b", "a/+", "a/b"},
           Case{"+/+", "+/+", "+/+"},
           Case{"a/#", "a", "a"},
           Case{"a", "a/#", "a"},
           Case{"a/#", "a/+/#", "a/+/#"},
           Case{"a/#", "+/b/c", "a/b/c"},
           Case{"#", "a/+", "a/+"},
           Case{"#", "#", "#"},
           Case{"a/b", "a/b/c", "(none)"},
           Case{"a/+", "a", "(none)"},
           Case{"#", "$SYS/x", "(none)"},
           Case{"+/x", "$SYS/+", "(none)"},
           Case{"$SYS/#", "$SYS/+", "$SYS/+"},
           Case{"+/#", "#", "+/#"},
       }) {
    EXPECT_EQ(Intersect(c.a, c.b), c.both) << c.a << " & " << c.b;
    EXPECT_EQ(Intersect(c.b, c.a) == "(none)", std::string(c.both) == "(none)") << c.b << " & " << c.a;
  }
}

}  // namespace
}  // namespace ringmq
