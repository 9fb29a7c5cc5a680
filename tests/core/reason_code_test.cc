#include "core/reason_code.h"

#include <gtest/gtest.h>

namespace ringmq {
namespace {

TEST(ReasonCodeName, NamesKnownCodes) {
  EXPECT_EQ(ReasonCodeName(ReasonCode::kSuccess), "Success");
  EXPECT_EQ(ReasonCodeName(ReasonCode::kMalformedPacket), "Malformed Packet");
  EXPECT_EQ(ReasonCodeName(ReasonCode::kWildcardSubscriptionsNotSupported), "Wildcard Subscriptions not supported");
}

TEST(ReasonCodeName, UnknownCode) {
  EXPECT_EQ(ReasonCodeName(static_cast<ReasonCode>(0x7F)), "Unknown reason code");
}

TEST(ReasonCode, ErrorsAreAtOrAbove0x80) {
  EXPECT_FALSE(IsError(ReasonCode::kNoSubscriptionExisted));
  EXPECT_TRUE(IsError(ReasonCode::kUnspecifiedError));
}

TEST(ReasonCode, ToConnack311) {
  EXPECT_EQ(ToConnack311(ReasonCode::kSuccess), ConnackReturnCode311::kAccepted);
  EXPECT_EQ(ToConnack311(ReasonCode::kUnsupportedProtocolVersion), ConnackReturnCode311::kUnacceptableProtocolVersion);
  EXPECT_EQ(ToConnack311(ReasonCode::kClientIdentifierNotValid), ConnackReturnCode311::kIdentifierRejected);
  EXPECT_EQ(ToConnack311(ReasonCode::kBanned), ConnackReturnCode311::kServerUnavailable);
}

}  // namespace
}  // namespace ringmq
