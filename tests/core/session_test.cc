#include "core/session.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/core/alloc_counter.h"

namespace ringmq {
namespace {

MessageRef MakeMessage(std::string_view topic, std::string_view payload, int64_t expiry_ms = 0) {
  MessageParams params;
  params.topic = topic;
  params.payload = payload;
  params.qos = 1;
  params.expiry_deadline_ms = expiry_ms;
  return Message::Create(params);
}

Delivery MakeDelivery(uint8_t qos, std::string_view payload = "x", int64_t expiry_ms = 0) {
  Delivery d;
  d.message = MakeMessage("t", payload, expiry_ms);
  d.qos = qos;
  return d;
}

using State = InflightMessage::State;

// Puts one QoS `qos` delivery in flight and returns its packet id.
uint16_t StartOne(Session& session, uint8_t qos) { return session.StartInflight(MakeDelivery(qos)).packet_id; }

// What a client sends back for a message in flight, and whether the session should accept it.
enum class Ack { kPuback, kPubrec, kPubcomp };
struct AckStep {
  Ack ack;
  bool accepted;
};

// Hands `ack` for packet `id` to the session as the shard does; whether the session accepted it.
bool Acknowledge(Session& session, uint16_t id, Ack ack) {
  switch (ack) {
    case Ack::kPuback:
      return session.Complete(id, State::kAwaitPuback);
    case Ack::kPubrec:
      return session.Received(id);
    case Ack::kPubcomp:
      return session.Complete(id, State::kAwaitPubcomp);
  }
  return false;
}

// Hands each ack of `steps` for packet `id` to the session in order, checking each verdict.
void ExpectAcks(Session& session, uint16_t id, std::initializer_list<AckStep> steps) {
  int step = 0;
  for (const AckStep& s : steps) EXPECT_EQ(Acknowledge(session, id, s.ack), s.accepted) << "step " << step++;
}

TEST(SessionTest, SubscriptionsReplaceSameFilterAndGroup) {
  Session session("c");
  SessionSubscription sub;
  sub.filter = "a/+";
  sub.options.max_qos = 1;
  EXPECT_FALSE(session.AddSubscription(sub).has_value());
  sub.options.max_qos = 2;
  std::optional<SubscriptionOptions> old = session.AddSubscription(sub);
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->max_qos, 1);
  sub.share_group = "g";
  EXPECT_FALSE(session.AddSubscription(sub).has_value());
  EXPECT_EQ(session.subscriptions().size(), 2u);
  EXPECT_TRUE(session.RemoveSubscription("a/+", ""));
  EXPECT_FALSE(session.RemoveSubscription("a/+", ""));
  EXPECT_EQ(session.subscriptions().size(), 1u);
}

TEST(SessionTest, SubscriptionTableComesWithTheFirstAndGoesWithTheLast) {
  Session session("c");
  EXPECT_EQ(session.subscription_count(), 0u);
  EXPECT_EQ(&session.subscriptions(), &Session("other").subscriptions());  // the shared empty table
  SessionSubscription sub;
  sub.filter = "a";
  session.AddSubscription(sub);
  EXPECT_NE(&session.subscriptions(), &Session("other").subscriptions());
  EXPECT_TRUE(session.RemoveSubscription("a", ""));
  EXPECT_EQ(&session.subscriptions(), &Session("other").subscriptions());
}

TEST(SessionTest, SubscriptionsAreFoundByFilterAndGroupAndCountShared) {
  Session session("c");
  SessionSubscription sub;
  sub.filter = "a/#";
  sub.subscription_id = 4;
  session.AddSubscription(sub);
  sub.share_group = "g";
  sub.subscription_id = 5;
  session.AddSubscription(sub);
  EXPECT_TRUE(session.HasSharedSubscription());
  ASSERT_NE(session.FindSubscription("a/#", ""), nullptr);
  EXPECT_EQ(session.FindSubscription("a/#", "")->subscription_id, 4u);
  EXPECT_EQ(session.FindSubscription("a/#", "g")->subscription_id, 5u);
  EXPECT_EQ(session.FindSubscription("a/#", "h"), nullptr);
  EXPECT_EQ(session.FindSubscription("a/+", ""), nullptr);
  sub.subscription_id = 6;
  session.AddSubscription(sub);  // replaced, still one shared
  EXPECT_EQ(session.FindSubscription("a/#", "g")->subscription_id, 6u);
  EXPECT_TRUE(session.RemoveSubscription("a/#", "g"));
  EXPECT_FALSE(session.HasSharedSubscription());
  EXPECT_EQ(session.subscription_count(), 1u);
}

// Seconds to add `count` subscriptions to a new session and remove them again (best of two runs).
double AddRemoveSeconds(int count) {
  double best = 1e9;
  for (int run = 0; run < 2; ++run) {
    Session session("c");
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i) {
      SessionSubscription sub;
      sub.filter = "f/" + std::to_string(i) + "/+";
      sub.share_group = i % 2 == 0 ? "" : "g";
      EXPECT_FALSE(session.AddSubscription(std::move(sub)).has_value());
    }
    EXPECT_EQ(session.subscription_count(), static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
      EXPECT_TRUE(session.RemoveSubscription("f/" + std::to_string(i) + "/+", i % 2 == 0 ? "" : "g"));
    }
    EXPECT_EQ(session.subscription_count(), 0u);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  return best;
}

// 40,000 filters took 1.4 s to SUBACK when each add compared the filter with every existing one.
// Four times the subscriptions must cost about four times as long, not sixteen (the bound leaves
// room for a loaded machine and sanitizer builds, where absolute times mean little).
TEST(SessionTest, ManySubscriptionsAddAndRemoveInLinearTime) {
  const double small = AddRemoveSeconds(25'000);
  const double large = AddRemoveSeconds(100'000);
  EXPECT_LT(large, 9 * small + 0.05) << small << " s for 25,000, " << large << " s for 100,000";
}

TEST(SessionTest, PacketIdsAreNonZeroAndSkipThoseInFlight) {
  Session session("c");
  const uint16_t first = StartOne(session, 1);
  EXPECT_NE(first, 0);
  // Walk the id space once: the id still in flight must never be handed out again.
  for (int i = 0; i < 70000; ++i) {
    const uint16_t id = StartOne(session, 1);
    ASSERT_NE(id, 0);
    ASSERT_NE(id, first);
    ASSERT_TRUE(session.Complete(id, State::kAwaitPuback));
  }
  EXPECT_EQ(session.inflight_count(), 1u);
}

TEST(SessionTest, Qos1CompletesOnPuback) {
  Session session("c");
  const uint16_t id = StartOne(session, 1);
  // PUBCOMP and PUBREC are wrong for a QoS 1 message; PUBACK completes it, once.
  ExpectAcks(session, id, {{Ack::kPubcomp, false}, {Ack::kPubrec, false}, {Ack::kPuback, true}, {Ack::kPuback, false}});
  EXPECT_EQ(session.inflight_count(), 0u);
}

TEST(SessionTest, Qos2GoesThroughPubrecThenPubcomp) {
  Session session("c");
  const uint16_t id = StartOne(session, 2);
  // PUBCOMP before PUBREC, and PUBACK at all, are wrong for a QoS 2 message.
  ExpectAcks(session, id, {{Ack::kPubcomp, false}, {Ack::kPuback, false}, {Ack::kPubrec, true}});
  EXPECT_EQ(session.inflight().front().state, State::kAwaitPubcomp);
  EXPECT_FALSE(session.inflight().front().delivery.message);  // payload released after PUBREC
  ExpectAcks(session, id, {{Ack::kPubcomp, true}});
  EXPECT_EQ(session.inflight_count(), 0u);
}

TEST(SessionTest, OutOfOrderAcksKeepTheRestInOrder) {
  Session session("c");
  uint16_t ids[3];
  for (uint16_t& id : ids) id = StartOne(session, 1);
  EXPECT_TRUE(session.Complete(ids[1], State::kAwaitPuback));
  ASSERT_EQ(session.inflight_count(), 2u);
  EXPECT_EQ(session.inflight()[0].packet_id, ids[0]);
  EXPECT_EQ(session.inflight()[1].packet_id, ids[2]);
}

TEST(SessionTest, AcksInAnyOrderFindTheirMessage) {
  Session session("c");
  std::vector<uint16_t> ids;
  for (int i = 0; i < 50; ++i) ids.push_back(StartOne(session, 1));
  // Every third first, then the rest backwards.
  for (size_t i = 0; i < ids.size(); i += 3) EXPECT_TRUE(session.Complete(ids[i], State::kAwaitPuback));
  for (size_t i = ids.size(); i-- > 0;) EXPECT_EQ(session.Complete(ids[i], State::kAwaitPuback), i % 3 != 0) << i;
  EXPECT_EQ(session.inflight_count(), 0u);
  EXPECT_FALSE(session.Complete(ids[0], State::kAwaitPuback));
  EXPECT_FALSE(session.Complete(0, State::kAwaitPuback));
}

TEST(SessionTest, AcksFindTheirMessageWhenIdsWrapWithinTheWindow) {
  Session session("c");
  for (int i = 0; i < 65530; ++i) ASSERT_TRUE(session.Complete(StartOne(session, 1), State::kAwaitPuback));
  std::vector<uint16_t> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(StartOne(session, 2));
  EXPECT_LT(ids.back(), ids.front());  // the ids wrapped past 65535 within the window
  for (size_t i = ids.size(); i-- > 0;) EXPECT_TRUE(session.Received(ids[i])) << ids[i];
  for (uint16_t id : ids) EXPECT_FALSE(session.Complete(id, State::kAwaitPuback));
  for (uint16_t id : ids) EXPECT_TRUE(session.Complete(id, State::kAwaitPubcomp)) << id;
}

TEST(SessionTest, AMessageHeldPastAFullIdCycleIsStillFound) {
  Session session("c");
  const uint16_t oldest = StartOne(session, 1);
  // The id counter comes round while the oldest stays unacknowledged: its id is never reused.
  for (int i = 0; i < 70000; ++i) {
    const uint16_t id = StartOne(session, 1);
    ASSERT_NE(id, oldest);
    ASSERT_TRUE(session.Complete(id, State::kAwaitPuback)) << i;
  }
  EXPECT_TRUE(session.Complete(oldest, State::kAwaitPuback));
}

TEST(SessionTest, QueueIsBoundedByCountAndBytes) {
  Session session("c");
  QueueLimits limits{3, 1000};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(session.Enqueue(MakeDelivery(1), limits)) << i;
  EXPECT_FALSE(session.Enqueue(MakeDelivery(1), limits));
  EXPECT_EQ(session.queued_count(), 3u);

  Session small("d");
  QueueLimits bytes_only{100, 50};
  EXPECT_TRUE(small.Enqueue(MakeDelivery(1, std::string(40, 'p')), bytes_only));  // 1 + 40 bytes
  EXPECT_FALSE(small.Enqueue(MakeDelivery(1, std::string(40, 'p')), bytes_only));
  EXPECT_EQ(small.queued_bytes(), 41u);
  ASSERT_TRUE(small.Dequeue().has_value());
  EXPECT_EQ(small.queued_bytes(), 0u);
  EXPECT_FALSE(small.Dequeue().has_value());
}

TEST(SessionTest, HasQueueRoomAgreesWithEnqueue) {
  // The shard asks first so that a delivery past the bounds is not lost: it is queued past them while
  // its publisher is held back (net/mqtt/queue_backpressure.cc).
  Session session("c");
  QueueLimits limits{2, 100};
  const Delivery probe = MakeDelivery(1, std::string(40, 'p'));  // 41 bytes
  EXPECT_TRUE(session.HasQueueRoom(probe, limits));
  EXPECT_TRUE(session.Enqueue(MakeDelivery(1, std::string(40, 'p')), limits));
  EXPECT_TRUE(session.HasQueueRoom(probe, limits));
  EXPECT_TRUE(session.Enqueue(MakeDelivery(1, std::string(40, 'p')), limits));
  EXPECT_FALSE(session.HasQueueRoom(probe, limits));  // count bound
  EXPECT_FALSE(session.HasQueueRoom(probe, QueueLimits{10, 100}));  // byte bound: 82 + 41 > 100
  EXPECT_TRUE(session.Enqueue(MakeDelivery(1, std::string(40, 'p')), QueueLimits{SIZE_MAX, SIZE_MAX}));
  EXPECT_EQ(session.queued_count(), 3u);
  EXPECT_EQ(session.queued_bytes(), 123u);
}

TEST(MessageTest, CarriesItsPublisherShard) {
  MessageParams params;
  params.topic = "t";
  params.publisher_id = 42;
  params.publisher_shard = 3;
  const MessageRef message = Message::Create(params);
  EXPECT_EQ(message->publisher_id(), 42u);
  EXPECT_EQ(message->publisher_shard(), 3);
  EXPECT_EQ(Message::Create(MessageParams{})->publisher_shard(), -1);  // the broker's own: nobody to hold
}

TEST(SessionTest, DropExpiredRemovesOnlyExpired) {
  Session session("c");
  QueueLimits limits{10, 10000};
  session.Enqueue(MakeDelivery(1, "keep"), limits);
  session.Enqueue(MakeDelivery(1, "old", 100), limits);
  session.Enqueue(MakeDelivery(1, "later", 5000), limits);
  EXPECT_EQ(session.DropExpired(1000), 1u);
  EXPECT_EQ(session.queued_count(), 2u);
  EXPECT_EQ(session.Dequeue()->message->payload(), "keep");
  EXPECT_EQ(session.Dequeue()->message->payload(), "later");
}

TEST(SessionTest, ADrainedWindowKeepsItsBufferUntilTheSessionGoesQuiet) {
  Session session("c");
  constexpr int kWindow = 64;
  std::vector<uint16_t> ids(kWindow);
  auto fill_and_drain = [&](std::vector<Delivery>& deliveries) {
    for (int i = 0; i < kWindow; ++i) ids[i] = session.StartInflight(std::move(deliveries[i])).packet_id;
    for (uint16_t id : ids) EXPECT_TRUE(session.Complete(id, State::kAwaitPuback));
  };
  auto deliveries = [] { return std::vector<Delivery>(kWindow, MakeDelivery(1)); };
  std::vector<Delivery> first = deliveries(), second = deliveries(), third = deliveries();
  fill_and_drain(first);
  EXPECT_EQ(testing::CountAllocations([&] { fill_and_drain(second); }), 0);  // refilled without regrowing
  session.ReleaseIdleMemory();
  EXPECT_GT(testing::CountAllocations([&] { fill_and_drain(third); }), 0);  // the burst's buffer went back
}

TEST(SessionTest, QuietSessionGivesBackItsQosStateOnlyWhenNothingIsPending) {
  Session session("c");
  EXPECT_EQ(testing::CountAllocations([&] { EXPECT_EQ(session.inflight_count(), 0u); }), 0);
  const uint16_t id = session.StartInflight(MakeDelivery(1)).packet_id;
  EXPECT_TRUE(session.BeginInboundQos2(9));
  session.ReleaseIdleMemory();  // a message in flight and an id awaiting PUBREL: both kept
  EXPECT_EQ(session.inflight_count(), 1u);
  EXPECT_TRUE(session.HasInboundQos2(9));
  EXPECT_TRUE(session.Complete(id, State::kAwaitPuback));
  session.ReleaseIdleMemory();
  EXPECT_TRUE(session.HasInboundQos2(9));  // still awaiting PUBREL
  EXPECT_TRUE(session.ReleaseInboundQos2(9));
  session.ReleaseIdleMemory();
  EXPECT_EQ(session.inflight_count() + session.queued_count() + session.inbound_qos2_count(), 0u);
  EXPECT_FALSE(session.Dequeue().has_value());
  EXPECT_EQ(session.DropExpired(0), 0u);
  // Packet ids go on from where they were, so a late ack of an old id cannot match a new message.
  EXPECT_NE(session.StartInflight(MakeDelivery(1)).packet_id, id);
}

TEST(SessionTest, InboundQos2DetectsRetransmission) {
  Session session("c");
  EXPECT_TRUE(session.BeginInboundQos2(7));
  EXPECT_FALSE(session.BeginInboundQos2(7));
  EXPECT_TRUE(session.ReleaseInboundQos2(7));
  EXPECT_FALSE(session.ReleaseInboundQos2(7));
  EXPECT_TRUE(session.BeginInboundQos2(7));
}

TEST(MessageTest, StoresEverythingInOneBlockAndCountsReferences) {
  MessageParams params;
  params.topic = "fleet/1/telemetry";
  params.payload = std::string_view("\0\1\2", 3);
  params.passthrough_properties = "\x26";
  params.qos = 2;
  params.retain = true;
  MessageRef a = Message::Create(params);
  EXPECT_EQ(a->topic(), "fleet/1/telemetry");
  EXPECT_EQ(a->payload(), std::string_view("\0\1\2", 3));
  EXPECT_EQ(a->passthrough_properties(), "\x26");
  EXPECT_EQ(a->qos(), 2);
  EXPECT_TRUE(a->retain());
  MessageRef b = a;
  EXPECT_EQ(a.get(), b.get());
  const Message* raw = b.Leak();
  MessageRef c = MessageRef::Adopt(raw);
  EXPECT_EQ(c.get(), a.get());
  EXPECT_FALSE(a->ExpiredAt(1 << 30));
}

}  // namespace
}  // namespace ringmq
