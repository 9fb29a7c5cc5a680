#include "net/bridge/bridge_topics.h"

#include <gtest/gtest.h>

namespace ringmq {
namespace {

BridgeTopicMap Map() {
  return BridgeTopicMap({
      {"sensors/#", BridgeDirection::kOut, 1, "site/", "fleet/site7/"},
      {"cmd/+", BridgeDirection::kIn, 1, "local/", "fleet/site7/"},
      {"shared/#", BridgeDirection::kBoth, 0, "", ""},
      {"", BridgeDirection::kIn, 0, "alarm/local", "alarm/remote"},
  });
}

TEST(BridgeTopicMap, SwapsThePrefixesOfTheLineThatMatches) {
  const BridgeTopicMap map = Map();
  EXPECT_EQ(map.ToRemote("site/sensors/t1"), "fleet/site7/sensors/t1");
  EXPECT_EQ(map.ToLocal("fleet/site7/cmd/door"), "local/cmd/door");
  EXPECT_EQ(map.ToRemote("shared/a/b"), "shared/a/b");
  EXPECT_EQ(map.ToLocal("shared/a/b"), "shared/a/b");
  EXPECT_EQ(map.ToLocal("alarm/remote"), "alarm/local");  // an empty pattern: the prefixes are the topic
}

TEST(BridgeTopicMap, OnlyItsDirectionAndItsPattern) {
  const BridgeTopicMap map = Map();
  EXPECT_EQ(map.ToLocal("fleet/site7/sensors/t1"), std::nullopt);  // an `out` line does not bring it in
  EXPECT_EQ(map.ToRemote("local/cmd/door"), std::nullopt);         // an `in` line does not send it out
  EXPECT_EQ(map.ToLocal("fleet/site7/cmd/door/extra"), std::nullopt);  // `+` is one level
  EXPECT_EQ(map.ToRemote("sensors/t1"), std::nullopt);                 // without the local prefix
  EXPECT_EQ(map.ToLocal("alarm/remote/x"), std::nullopt);
  EXPECT_EQ(map.ToRemote("site/sensors"), "fleet/site7/sensors");  // `#` covers its parent level
}

TEST(BridgeTopicMap, DollarTopicsOnlyByALiteralFirstLevel) {
  const BridgeTopicMap wide({{"#", BridgeDirection::kBoth, 0, "", ""}});
  EXPECT_EQ(wide.ToRemote("$SYS/broker/uptime"), std::nullopt);
  const BridgeTopicMap sys({{"$SYS/#", BridgeDirection::kOut, 0, "", "edge7/"}});
  EXPECT_EQ(sys.ToRemote("$SYS/broker/uptime"), "edge7/$SYS/broker/uptime");
}

}  // namespace
}  // namespace ringmq
