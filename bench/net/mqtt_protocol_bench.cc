// The MQTT protocol handling alone (net/mqtt/mqtt_protocol.h), without sockets or the loop: a
// PUBLISH goes in as bytes through ConsumeInput and comes out as bytes in each subscriber's output,
// on one shard with an in-memory ConnectionIo. What it costs per message is what the protocol adds
// to a shard's loop; the loop's own cost (the ring, the kernel's sends) is measured by ringmq-bench.
//
//   build/bench/net/mqtt_protocol_bench
//
// BM_PublishQos0/N: a QoS 0 PUBLISH (64 B payload) to N subscribers of "t/#" (QoS 0).
// BM_PublishQos1/N: the same PUBLISH at QoS 1 (the publisher's PUBACK written too), subscribers at QoS 0.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "net/access_policy.h"
#include "net/broker_config.h"
#include "net/mqtt/mqtt_protocol.h"
#include "net/shard_mesh.h"
#include "net/shard_stats.h"
#include "tests/net/mqtt/memory_connection_io.h"

namespace ringmq {
namespace {

Bytes Connect311(uint16_t id) {
  const uint8_t high = static_cast<uint8_t>('a' + id / 26 % 26), low = static_cast<uint8_t>('a' + id % 26);
  return {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x02, high, low};
}

// A PUBLISH to "t/x" with a 64-byte payload; QoS 1 carries packet id `id`.
Bytes Publish(int qos, uint16_t id) {
  Bytes packet = {static_cast<uint8_t>(0x30 | qos << 1), 0, 0x00, 0x03, 't', '/', 'x'};
  if (qos > 0) packet.insert(packet.end(), {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id)});
  packet.resize(packet.size() + 64, 'p');
  packet[1] = static_cast<uint8_t>(packet.size() - 2);
  return packet;
}

class Broker {
 public:
  explicit Broker(int subscribers) {
    config_.shards = 1;
    shared_.access_policies = &policies_;
    protocol_ = std::make_unique<MqttProtocol>(0, config_, mesh_, shared_, stats_, io_);
    io_.set_protocol(protocol_.get());
    protocol_->BeginTurn(1000);
    for (int i = 0; i < subscribers; ++i) {
      Connection* conn = io_.Open();
      protocol_->ConsumeInput(conn, Connect311(static_cast<uint16_t>(i + 1)));
      protocol_->ConsumeInput(conn, Bytes{0x82, 0x08, 0x00, 0x01, 0x00, 0x03, 't', '/', '#', 0x00});
      subscribers_.push_back(conn);
    }
    publisher_ = io_.Open();
    protocol_->ConsumeInput(publisher_, Connect311(0));
    EndTurn();
  }
  void Consume(const Bytes& bytes) { protocol_->ConsumeInput(publisher_, bytes); }
  // One PUBLISH reaches every subscriber as a PUBLISH (the set-up worked, the loop measures something).
  bool Delivers(const Bytes& publish) {
    Consume(publish);
    protocol_->FinishTurn();
    for (Connection* conn : subscribers_) {
      const Bytes out = io_.TakeOutput(conn);
      if (out.empty() || (out[0] & 0xF0) != 0x30) return false;
    }
    EndTurn();
    return true;
  }
  // What a loop turn does after the input: the output is "sent" (dropped here).
  void EndTurn() {
    protocol_->FinishTurn();
    protocol_->PublishQueuedEnvelopes();
    for (Connection* conn : subscribers_) io_.TakeOutput(conn);
    io_.TakeOutput(publisher_);
  }

 private:
  BrokerConfig config_;
  AccessPolicyStore policies_{std::make_shared<const AccessPolicy>()};
  BrokerShared shared_;
  ShardMesh mesh_{1, 1024};
  std::vector<ShardStats> stats_ = std::vector<ShardStats>(1);
  MemoryConnectionIo io_;
  std::unique_ptr<MqttProtocol> protocol_;
  std::vector<Connection*> subscribers_;
  Connection* publisher_ = nullptr;
};

void RunPublishes(benchmark::State& state, int qos) {
  Broker broker(static_cast<int>(state.range(0)));
  std::vector<Bytes> packets;
  for (uint16_t id = 1; id <= 64; ++id) packets.push_back(Publish(qos, id));  // a turn's worth
  if (!broker.Delivers(packets[0])) {
    state.SkipWithError("a PUBLISH did not reach every subscriber");
    return;
  }
  size_t next = 0;
  for (auto _ : state) {
    broker.Consume(packets[next]);
    if (++next == packets.size()) {  // a loop turn's worth of input
      next = 0;
      broker.EndTurn();
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["deliveries"] = benchmark::Counter(static_cast<double>(state.iterations() * state.range(0)),
                                                    benchmark::Counter::kIsRate);
}

void BM_PublishQos0(benchmark::State& state) { RunPublishes(state, 0); }
void BM_PublishQos1(benchmark::State& state) { RunPublishes(state, 1); }
BENCHMARK(BM_PublishQos0)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK(BM_PublishQos1)->Arg(1)->Arg(10)->Arg(100);

}  // namespace
}  // namespace ringmq

BENCHMARK_MAIN();
