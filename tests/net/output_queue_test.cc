// OutputQueue: stream order of owned bytes and borrowed payloads, gathering into iovecs (bounded count,
// payloads referenced in place), consumption that ends anywhere, and zero-copy retirement.
#include "net/output_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace ringmq {
namespace {

MessageRef MessageWithPayload(std::string_view payload) {
  return Message::Create(MessageParams{.topic = "t", .payload = payload});
}

// The bytes a sendmsg of `gathered` would send.
std::string Flatten(const OutputQueue::Gathered& gathered) {
  std::string bytes;
  for (size_t i = 0; i < gathered.message->msg_iovlen; ++i) {
    const iovec& iov = gathered.message->msg_iov[i];
    bytes.append(static_cast<const char*>(iov.iov_base), iov.iov_len);
  }
  return bytes;
}

// Sends everything as a kernel taking at most `chunk` bytes per send would; returns what went out.
std::string Drain(OutputQueue& queue, size_t max_iov, size_t chunk) {
  std::string sent;
  for (int sends = 0; !queue.empty() && sends < 100000; ++sends) {
    const std::string gathered = Flatten(queue.Gather(max_iov));
    const size_t taken = std::min(chunk, gathered.size());
    sent.append(gathered, 0, taken);
    queue.Consume(taken);
  }
  return sent;
}

TEST(OutputQueue, EmptyGathersNothing) {
  OutputQueue queue;
  queue.Append("");
  queue.AppendPayload(MessageWithPayload(""));
  EXPECT_TRUE(queue.empty());
  EXPECT_TRUE(queue.idle());
  EXPECT_EQ(queue.size(), 0u);
  const OutputQueue::Gathered gathered = queue.Gather(1024);
  EXPECT_EQ(gathered.message->msg_iovlen, 0u);
  EXPECT_EQ(gathered.bytes, 0u);
}

TEST(OutputQueue, GathersOwnedAndBorrowedBytesInOrder) {
  OutputQueue queue;
  const MessageRef first = MessageWithPayload("PAYLOAD-ONE");
  const MessageRef second = MessageWithPayload("payload-two");
  queue.Append("head1");
  queue.AppendPayload(first);
  queue.Append("head2");
  queue.AppendPayload(second);
  queue.Append("ack");
  EXPECT_EQ(queue.size(), 5u + 11 + 5 + 11 + 3);

  const OutputQueue::Gathered gathered = queue.Gather(1024);
  EXPECT_EQ(Flatten(gathered), "head1PAYLOAD-ONEhead2payload-twoack");
  EXPECT_EQ(gathered.bytes, queue.size());
  EXPECT_EQ(gathered.borrowed_bytes, 22u);
  ASSERT_EQ(gathered.message->msg_iovlen, 5u);
  // The payload is referenced where the message keeps it, not copied.
  EXPECT_EQ(gathered.message->msg_iov[1].iov_base, first->payload().data());
  EXPECT_EQ(gathered.message->msg_iov[3].iov_base, second->payload().data());
}

TEST(OutputQueue, KeepsThePayloadAliveAfterTheMessageIsDroppedElsewhere) {
  OutputQueue queue;
  MessageRef message = MessageWithPayload(std::string(5000, 'z'));
  queue.AppendPayload(std::move(message));
  EXPECT_EQ(Drain(queue, 1024, 777), std::string(5000, 'z'));
}

TEST(OutputQueue, PartialConsumptionInsideAPayloadResumesThere) {
  OutputQueue queue;
  queue.Append("HD");
  queue.AppendPayload(MessageWithPayload("0123456789"));
  queue.Append("tail");
  queue.Consume(5);  // "HD" and "012"
  EXPECT_EQ(queue.size(), 11u);
  const OutputQueue::Gathered gathered = queue.Gather(1024);
  EXPECT_EQ(Flatten(gathered), "3456789tail");
  EXPECT_EQ(gathered.borrowed_bytes, 7u);
  queue.Consume(7);
  EXPECT_EQ(Flatten(queue.Gather(1024)), "tail");
  queue.Consume(4);
  EXPECT_TRUE(queue.empty());
  EXPECT_TRUE(queue.idle());
}

TEST(OutputQueue, ConsumptionAcrossSegmentsEndsInTheMiddleOfALaterOne) {
  OutputQueue queue;
  queue.Append("aa");
  queue.AppendPayload(MessageWithPayload("bbb"));
  queue.Append("cccc");
  queue.AppendPayload(MessageWithPayload("ddddd"));
  queue.Consume(2 + 3 + 4 + 2);
  EXPECT_EQ(Flatten(queue.Gather(1024)), "ddd");
  EXPECT_EQ(queue.size(), 3u);
}

TEST(OutputQueue, GathersAtMostMaxIovSegmentsAndTheRestNextTime) {
  OutputQueue queue;
  std::string expected;
  std::vector<MessageRef> messages;
  for (int i = 0; i < 1500; ++i) {
    const std::string head = absl::StrCat("h", i, ":");
    const std::string payload = std::string(static_cast<size_t>(i % 7 + 1), static_cast<char>('a' + i % 26));
    expected += head + payload;
    queue.Append(head);
    queue.AppendPayload(MessageWithPayload(payload));
  }
  std::vector<size_t> iov_counts;
  std::string sent;
  for (int sends = 0; !queue.empty() && sends < 10; ++sends) {
    const OutputQueue::Gathered gathered = queue.Gather(1024);
    iov_counts.push_back(gathered.message->msg_iovlen);
    sent += Flatten(gathered);
    queue.Consume(gathered.bytes);
  }
  EXPECT_EQ(iov_counts, (std::vector<size_t>{1024, 1024, 3000 - 2048}));
  EXPECT_TRUE(sent == expected);
}

TEST(OutputQueue, ManySegmentsDrainIntactThroughSmallPartialSends) {
  OutputQueue queue;
  std::string expected;
  for (int i = 0; i < 400; ++i) {
    const std::string head = absl::StrCat("[", i, "]");
    const std::string payload(static_cast<size_t>(i * 13 % 300 + 1), static_cast<char>('A' + i % 26));
    expected += head + payload;
    queue.Append(head);
    queue.AppendPayload(MessageWithPayload(payload));
  }
  EXPECT_EQ(queue.size(), expected.size());
  EXPECT_TRUE(Drain(queue, 16, 97) == expected);
  EXPECT_TRUE(queue.idle());
}

TEST(OutputQueue, AppendingDoesNotMoveBytesAlreadyGathered) {
  OutputQueue queue;
  queue.Append("short");  // small enough for the string's inline storage
  queue.AppendPayload(MessageWithPayload("payload"));
  const OutputQueue::Gathered before = queue.Gather(1024);
  const std::vector<iovec> in_flight(before.message->msg_iov, before.message->msg_iov + before.message->msg_iovlen);
  for (int i = 0; i < 100; ++i) queue.Append(absl::StrCat("x", i));
  const OutputQueue::Gathered after = queue.Gather(1024);
  for (size_t i = 0; i < in_flight.size(); ++i) {
    EXPECT_EQ(after.message->msg_iov[i].iov_base, in_flight[i].iov_base);
    EXPECT_EQ(after.message->msg_iov[i].iov_len, in_flight[i].iov_len);
  }
  EXPECT_EQ(std::string(static_cast<const char*>(in_flight[0].iov_base), in_flight[0].iov_len), "short");
}

TEST(OutputQueue, SentSegmentsAreRetiredUntilTheLastNotification) {
  OutputQueue queue;
  queue.Append("head");
  queue.AppendPayload(MessageWithPayload(std::string(100, 'p')));
  const OutputQueue::Gathered gathered = queue.Gather(1024);
  const void* payload_bytes = gathered.message->msg_iov[1].iov_base;

  EXPECT_TRUE(queue.ExpectNotification());  // the first zero-copy send completed
  queue.Consume(50);                        // the head, and half the payload, which stays queued
  EXPECT_EQ(queue.retired_bytes(), 4u);
  EXPECT_FALSE(queue.ExpectNotification());  // a second one, sending the rest
  queue.Consume(54);
  EXPECT_TRUE(queue.empty());
  EXPECT_FALSE(queue.idle());
  EXPECT_EQ(queue.retired_bytes(), 104u);
  EXPECT_EQ(std::string(static_cast<const char*>(payload_bytes), 100), std::string(100, 'p'));

  EXPECT_FALSE(queue.Notified());
  EXPECT_EQ(queue.retired_bytes(), 104u);
  EXPECT_TRUE(queue.Notified());
  EXPECT_EQ(queue.retired_bytes(), 0u);
  EXPECT_TRUE(queue.idle());
  EXPECT_FALSE(queue.Notified());  // nothing awaited: a stray call changes nothing
}

TEST(OutputQueue, SegmentsSentWithoutANotificationAwaitedAreFreedAtOnce) {
  OutputQueue queue;
  queue.Append("abc");
  queue.AppendPayload(MessageWithPayload("def"));
  queue.Consume(6);
  EXPECT_EQ(queue.retired_bytes(), 0u);
  EXPECT_TRUE(queue.idle());
}

TEST(OutputQueue, ClearDropsUnsentBytesButRetiresThemWhileANotificationIsAwaited) {
  OutputQueue plain;
  plain.Append("abc");
  plain.AppendPayload(MessageWithPayload("def"));
  plain.Clear();
  EXPECT_TRUE(plain.empty());
  EXPECT_TRUE(plain.idle());

  OutputQueue zerocopy;
  zerocopy.Append("abc");
  zerocopy.AppendPayload(MessageWithPayload("def"));
  zerocopy.ExpectNotification();
  zerocopy.Consume(1);
  zerocopy.Clear();
  EXPECT_TRUE(zerocopy.empty());
  EXPECT_EQ(zerocopy.size(), 0u);
  EXPECT_EQ(zerocopy.retired_bytes(), 6u);
  EXPECT_TRUE(zerocopy.Notified());
  EXPECT_TRUE(zerocopy.idle());
}

}  // namespace
}  // namespace ringmq
