// One client socket on a shard: its receive state (bytes of a packet not yet complete), its output
// (packets encoded but not yet handed to the kernel, and the bytes the kernel is sending now), and the
// protocol state that belongs to the connection rather than to the session.
//
// Thread ownership: owned by one shard; only that shard's thread touches it. A connection is freed only
// when no io_uring operation refers to it any more (ops_in_flight == 0).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/packet.h"
#include "net/connection_v5_state.h"
#include "net/output_queue.h"

namespace ringmq {

class Session;

// Output is one stream: `sending`, then `queue`, then `out`. Small
// packets take the plain path: `out` is swapped into `sending` and sent as one buffer. A large payload
// is borrowed from its Message instead of copied (--shared_payload_threshold): the bytes of `out` before
// it move into `queue`, the payload follows them there, and the queue goes out with sendmsg.
struct IoBuffers {
  std::string inbound;  // bytes of an incomplete packet (or unparsed input while paused)
  // The incomplete packet's announced size once its fixed header is in (0 = not yet): `inbound` is
  // reserved to it, so each segment is appended once and the packet parsed only when whole.
  size_t inbound_packet_size = 0;
  int64_t inbound_since_ms = 0;  // when the incomplete packet at the front of `inbound` began
  std::string out;      // encoded packets waiting for the next send
  std::string sending;  // bytes handed to the kernel; valid until the send completes
  size_t sending_offset = 0;
  OutputQueue queue;    // owned bytes and borrowed payloads, in order, sent with sendmsg
  bool empty() const { return inbound.empty() && out.empty() && sending.empty() && queue.idle(); }
};

struct alignas(8) Connection {
  enum class State : uint8_t { kAwaitConnect, kConnected, kClosing };

  int fd = -1;
  State state = State::kAwaitConnect;
  ProtocolVersion version = ProtocolVersion::kV311;
  bool recv_armed = false;
  bool send_in_flight = false;
  bool in_flush_list = false;
  bool in_release_list = false;
  bool reading_paused = false;  // backpressure: input is kept unparsed until the shard can route again
  bool will_due = true;         // cleared by a normal DISCONNECT
  uint8_t ops_in_flight = 0;  // awaited zero-copy notifications count as one (net/output_queue.h)
  int8_t handoff_to = -1;  // set when the CONNECT belongs to another shard
  uint16_t keep_alive_s = 0;
  uint16_t receive_maximum = 65535;     // MQTT 5: the client's limit on our QoS 1/2 in flight
  uint16_t topic_alias_maximum_out = 0; // MQTT 5: aliases the client accepts from us (fills padding)
  uint32_t max_packet_size_out = 0;     // MQTT 5: the client's limit; 0 = none
  int64_t last_activity_ms = 0;  // before CONNECT: when the connection was accepted
  uint32_t serial = 0;           // tells a connection from a later one at the same address
  bool awaiting_suback : 1 = false;  // a SUBACK waits for every shard to know the new routes
  bool recv_cancel_sent : 1 = false;  // input paused: the armed receive is being cancelled
  bool peer_was_sending : 1 = false;  // it sent something within a second of our close: reset, not FIN
  bool incomplete_timer_armed : 1 = false;  // keep-alive 0: a wheel entry watches its incomplete packet
  // Its bytes pass through transports (PROXY, TLS, WebSocket) kept in the shard's stream table; plain
  // TCP connections have none, and their data path never looks there.
  bool has_stream : 1 = false;
  // A DISCONNECT or a refusing CONNACK is queued, the last packet it gets: once closing, its input is
  // read and discarded until the peer closes or the close grace ends, so the peer reads that packet
  // before any reset (Shard::Close).
  bool draining : 1 = false;
  // A bridge's outgoing connection (net/bridge/): its CONNECT is the bridge's local session, the
  // broker's own, so no password is asked of it (mosquitto's bridges bypass the password file too).
  bool bridge : 1 = false;
  Session* session = nullptr;

  // Present only while the connection has bytes to keep: an idle connection owns no buffer at all.
  std::unique_ptr<IoBuffers> io;
  // MQTT 5 state few connections need (topic aliases, authentication); allocated on first use.
  std::unique_ptr<ConnectionV5State> v5;

  size_t pending_output() const {
    return io ? io->out.size() + io->sending.size() - io->sending_offset + io->queue.size() : 0;
  }
  bool has_inbound() const { return io && !io->inbound.empty(); }
};
// One cache line: a broker holds hundreds of thousands of these, mostly idle.
static_assert(sizeof(Connection) <= 64);

}  // namespace ringmq
