// What shards send each other, and the mesh of single-producer/single-consumer queues that carries
// it: one queue per ordered pair of shards, so no queue ever has two writers or two readers.
//
// Thread ownership: created by the broker before the shards start and destroyed after they stop.
// Queue(from, to) is written only by shard `from` and read only by shard `to`; the wake-up state of a
// shard is an atomic flag plus an eventfd that any thread may write.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "core/message.h"
#include "net/connection_limits.h"
#include "net/transport/stream_transform.h"
#include "routing/route_table.h"
#include "routing/spsc_queue.h"

namespace ringmq {

// One shared subscription's copy of a message, on its way to a shard holding members of the group.
struct ShareTarget {
  std::string shared_filter;  // "$share/{group}/{filter}" (routing/route_table.h SharedFilterKey)
  ShardMask tried = 0;        // shards already visited that had no member able to take it
  bool any_member = false;    // second pass: no connected member anywhere, an offline one will do
};

// The shared-subscription part of a publish envelope; rare, so kept out of line.
struct SharedPublish {
  bool fan_out_plain = false;  // also deliver to the plain subscribers, as a PublishEnvelope would
  absl::InlinedVector<ShareTarget, 1> targets;
};

// A publish matched on another shard: fan it out to the local subscribers. With `shared`, the plain
// fan-out happens only if it says so, and each target group gets the message once.
struct PublishEnvelope {
  MessageRef message;
  std::unique_ptr<SharedPublish> shared;  // null in the common case: plain subscribers only
};

// With --persistence sync, a retained QoS 1/2 PUBLISH is acknowledged only once its topic's home
// shard has made the update durable: this says whose acknowledgement waits (net/mqtt/durable_acks.cc).
struct DurableReply {
  int origin_shard = -1;  // -1: nobody waits
  const void* conn = nullptr;  // the publisher's Connection on origin_shard; only compared, never read
  uint64_t conn_serial = 0;
  uint64_t gate = 0;
  bool wanted() const { return origin_shard >= 0; }
};

// A retained message (or a clear, when the payload is empty). Sent first to the topic's home shard,
// which orders all updates of that topic and forwards them to every other shard (`from_home`).
struct RetainEnvelope {
  MessageRef message;
  bool from_home = false;
  DurableReply reply;  // to the home shard: who to tell once the update is durable
};

// From a retained topic's home shard to the publisher's shard: the update is durable, so its
// acknowledgement may go out.
struct DurableEnvelope {
  DurableReply reply;
};

// A connection whose CONNECT arrived on a shard that is not its client id's home: the socket and every
// byte read so far move to the home shard, which owns the session.
struct HandoffEnvelope {
  int fd = -1;
  std::string received;  // MQTT bytes from the CONNECT on (decoded already when there is a transform)
  std::optional<PeerAddress> counted_peer;  // the socket's --max_connections_per_ip count moves with it
  // The connection's transports, established (a CONNECT is only read through an established stream),
  // and wire bytes they produced that are not sent yet (a TLS 1.3 session ticket), sent first there.
  std::unique_ptr<StreamTransform> transform;
  std::string wire;
  uint8_t listener = 0;  // the index of the --listen URL that accepted it
};

// A shard's subscription interest changed (first subscriber of a filter, or last one gone).
struct RouteEnvelope {
  std::unique_ptr<RouteDelta> delta;
};

// A route barrier: a shard that just announced new routes asks every other shard to answer once it has
// applied them (the queues are FIFO, so the answer proves it). The SUBACK waits for all answers, so a
// publish on any shard after the SUBACK reaches the new subscription.
struct BarrierEnvelope {
  int origin = 0;
  uint64_t id = 0;
  bool answer = false;
};

// QoS 1/2 backpressure (net/mqtt/queue_backpressure.cc): a subscriber's queue on the sending shard reached
// its high-water mark (hold) or drained below its low-water mark (release) while `publisher_id`, a
// client of the receiving shard, was feeding it. The receiver stops reading that client while any
// hold on it is outstanding; holds and releases of one pair of shards arrive in order.
struct HoldEnvelope {
  uint64_t publisher_id = 0;
  bool hold = true;
};

using Envelope = std::variant<PublishEnvelope, RetainEnvelope, std::unique_ptr<HandoffEnvelope>, RouteEnvelope,
                              BarrierEnvelope, HoldEnvelope, DurableEnvelope>;

class ShardMesh {
 public:
  ShardMesh(int shard_count, size_t queue_capacity);
  ~ShardMesh();
  ShardMesh(const ShardMesh&) = delete;
  ShardMesh& operator=(const ShardMesh&) = delete;

  int shard_count() const { return shard_count_; }
  SpscQueue<Envelope>& Queue(int from, int to) { return *queues_[from * shard_count_ + to]; }

  // The consumer side announces it is about to sleep; producers that see it asleep wake it.
  void MarkSleeping(int shard, bool sleeping);
  // Called by a producer after publishing items to `shard`'s queue.
  void WakeIfSleeping(int shard);
  // Unconditional wake (shutdown).
  void Wake(int shard);

  // Backpressure: a producer whose queue to `to` is full marks itself waiting; the consumer wakes it
  // as soon as it has taken items from that queue, so the producer does not sleep until its next tick.
  void MarkWaitingForSpace(int from, int to) {
    waiting_[from * shard_count_ + to].value.store(true, std::memory_order_seq_cst);
  }
  void WakeIfWaitingForSpace(int from, int to) {
    if (waiting_[from * shard_count_ + to].Claim()) Wake(from);
  }
  int wake_fd(int shard) const { return wake_fds_[shard]; }

 private:
  // A flag one side raises and the other claims (clears) exactly once; alone on its cache line.
  struct alignas(64) Flag {
    std::atomic<bool> value{false};
    bool Claim() {
      return value.load(std::memory_order_relaxed) && value.exchange(false, std::memory_order_acq_rel);
    }
  };
  int shard_count_;
  std::vector<std::unique_ptr<SpscQueue<Envelope>>> queues_;
  std::unique_ptr<Flag[]> sleep_flags_;
  std::unique_ptr<Flag[]> waiting_;
  std::vector<int> wake_fds_;
};

}  // namespace ringmq
