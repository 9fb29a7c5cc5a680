// ringmq: command-line flags (--flagfile serves as the configuration file) and start-up.
#include <sched.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "net/broker.h"
#include "net/config_reload.h"
#include "net/flag_reread.h"
#include "net/build_info.h"
#include "net/listener.h"
#include "net/transport/listen_url.h"
#include "net/log.h"
#include "net/ring.h"
#include "net/scram_file.h"

namespace ringmq {

// --listen may be given several times. Abseil keeps only the last value of a repeated flag, so the
// parser of this type also appends every occurrence (command line and --flagfile, in order) to one list.
struct ListenList {
  std::vector<std::string> addresses;
};

std::vector<std::string>& AllListenOccurrences() {
  static std::vector<std::string> occurrences;
  return occurrences;
}

bool AbslParseFlag(absl::string_view text, ListenList* list, std::string* error) {
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    if (part.empty()) continue;
    AllListenOccurrences().emplace_back(part);
  }
  (void)error;
  list->addresses = AllListenOccurrences();
  return true;
}

std::string AbslUnparseFlag(const ListenList& list) { return absl::StrJoin(list.addresses, ","); }

}  // namespace ringmq

// The default (0.0.0.0:1883) is applied in ConfigFromFlags: Abseil may pass the default value through
// the parser too, and it must not join the addresses given explicitly.
ABSL_FLAG(ringmq::ListenList, listen, ringmq::ListenList{},
          "Listener URL to accept MQTT connections on: host:port or mqtt://host:port (plain TCP), mqtts://host:port "
          "(TLS), ws://host:port/path or wss://host:port/path (WebSocket, path /mqtt if none), [v6]:port for IPv6; "
          "append ?proxy_protocol=1 when a load balancer sends a PROXY v1/v2 header first. Port 0 = ephemeral, "
          "printed at start-up. Repeat the flag, or separate with commas, for several listeners.");
ABSL_FLAG(int, shards, 0, "Shards (threads, each with its own io_uring); 0 = one per CPU this process may run on.");
ABSL_FLAG(int64_t, max_connections, 100000, "Connections open at once, across all shards; more are refused.");
ABSL_FLAG(uint32_t, max_packet_size, 1 << 20,
          "Largest MQTT packet accepted, in bytes; a larger one closes its connection (MQTT 5: reason 0x95).");
ABSL_FLAG(uint32_t, max_inflight, 256,
          "QoS 1/2 messages sent to one client and not yet acknowledged (MQTT 5: also capped by the client's "
          "receive maximum). Also the broker's Receive Maximum: the QoS 2 messages any client (3.1.1 too) may "
          "leave awaiting PUBREL; one more closes its connection (MQTT 5: DISCONNECT 0x93).");
ABSL_FLAG(uint32_t, max_queued_messages, 1000,
          "QoS 1/2 messages queued per client beyond the in-flight window or while it is offline. For a "
          "connected client it is a high-water mark: the publishers feeding it are no longer read until the "
          "queue is down to a quarter of it; for an offline session more are dropped (counted in "
          "$SYS/broker/messages/dropped/offline_queue).");
ABSL_FLAG(uint64_t, max_queued_bytes, 1 << 20,
          "Bytes queued per client: QoS 0 output beyond this is dropped, and QoS 1/2 messages queue up to it "
          "(the same high-water mark as --max_queued_messages).");
ABSL_FLAG(uint32_t, slow_subscriber_timeout, 10,
          "Seconds a connected subscriber whose QoS 1/2 queue is full may go without acknowledging anything "
          "before --slow_subscriber_action applies; until then its publishers are held back. 10 s: longer than "
          "a reading client needs to acknowledge one message on any working link, short enough that "
          "publishers also feeding healthy subscribers are not held for long. 0 = never.");
ABSL_FLAG(std::string, slow_subscriber_action, "disconnect",
          "What happens to a subscriber stuck past --slow_subscriber_timeout: 'disconnect' closes it (MQTT 5: "
          "DISCONNECT 0x97), so a persistent session keeps its queue and the client can resume; 'drop' keeps it "
          "connected and drops further QoS 1/2 messages beyond its queue bounds until it acknowledges again. "
          "Either way its publishers are released. Dropped messages are counted in "
          "$SYS/broker/messages/dropped/slow_subscriber.");
ABSL_FLAG(uint32_t, sys_interval, 10, "Seconds between updates of the $SYS/broker/... topics; 0 = off.");
ABSL_FLAG(uint32_t, connect_timeout, 10,
          "Seconds a new connection may take to send CONNECT (a silent one stays in the kernel that long).");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");
ABSL_FLAG(uint32_t, recv_buffer_count, 1024, "Receive buffers per shard (power of two), shared by its connections.");
ABSL_FLAG(uint32_t, recv_buffer_size, 8192,
          "Bytes per receive buffer. The pool (count x size per shard) is allocated and touched at start-up.");
ABSL_FLAG(uint32_t, cross_shard_queue_size, 65536,
          "Slots of each shard-to-shard queue (power of two); when full, the sending shard stops reading from "
          "its publishers until the queue drains.");
ABSL_FLAG(bool, pin_threads, true, "Pin each shard thread to one CPU.");
ABSL_FLAG(uint32_t, max_qos, 2,
          "Highest QoS (0..2) accepted on PUBLISH and granted on SUBSCRIBE; a PUBLISH above it closes the "
          "connection (MQTT 5: DISCONNECT 0x9B). Announced as Maximum QoS in the MQTT 5 CONNACK.");
ABSL_FLAG(bool, retain_available, true,
          "Accept retained PUBLISHes; false refuses them (MQTT 5: DISCONNECT 0x9A) and says so in CONNACK.");
ABSL_FLAG(bool, wildcard_subscriptions, true,
          "Accept filters with + and #; false refuses them in SUBACK (MQTT 5: 0xA2).");
ABSL_FLAG(bool, subscription_identifiers, true,
          "MQTT 5 subscription identifiers; false makes a SUBSCRIBE carrying one a protocol error (0xA1).");
ABSL_FLAG(uint32_t, max_topic_levels, 128,
          "Most levels ('/'-separated parts) in a topic or filter; a deeper PUBLISH topic closes the connection "
          "(MQTT 5: 0x90), a deeper filter is refused in SUBACK (0x8F; 3.1.1: 0x80).");
ABSL_FLAG(uint32_t, max_topic_alias, 64,
          "MQTT 5 Topic Alias Maximum: aliases a client may set (more: DISCONNECT 0x94), and at most this many "
          "aliases the broker assigns per connection when the client allows them; 0 = none.");
ABSL_FLAG(uint32_t, max_keep_alive, 65535,
          "Longest keep-alive (seconds) an MQTT 5 client may use; one asking for more, or for 0, is told this "
          "value as Server Keep Alive and held to it. Below 65535 it also applies to MQTT 3.1/3.1.1 clients, who "
          "cannot be told: a CONNECT with keep-alive 0 or above it is refused with CONNACK 0x02 (as mosquitto "
          "does). 65535 = no cap.");
ABSL_FLAG(uint32_t, incomplete_packet_timeout, 60,
          "Seconds a client with keep-alive 0 may take to complete a packet it has started; then it is closed. "
          "(Keep-alive counts from the last complete packet, so other clients are closed at 1.5x keep-alive.) "
          "60 s lets a 1 MiB packet through a link of 20 KB/s.");
ABSL_FLAG(uint32_t, max_publish_rate, 0,
          "PUBLISHes per second one client may send, with a burst of one second's worth; beyond it the broker "
          "stops reading the client until it is within the rate again (nothing is dropped). 0 = unlimited.");
ABSL_FLAG(uint64_t, max_publish_bytes_rate, 0,
          "PUBLISH bytes per second one client may send (burst: one second's worth, at least one packet), "
          "enforced like --max_publish_rate. 0 = unlimited.");
ABSL_FLAG(uint64_t, memory_limit, 0,
          "Bytes of process RSS above which the broker stops reading clients that publish and closes new "
          "connections at accept, until RSS is below 90 % of it again. Checked every 10 ms. 0 = off.");
ABSL_FLAG(std::string, bridge_file, "",
          "File of bridges to other brokers, in mosquitto's bridge syntax (connection, address, topic PATTERN "
          "in|out|both QOS LOCAL_PREFIX REMOTE_PREFIX, remote_username, bridge_cafile ...; see README). Read at "
          "start-up (an error in it refuses the start) and again on SIGHUP (an error refuses the reload, the "
          "running bridges stay). Empty = no bridges.");
ABSL_FLAG(std::string, data_dir, "",
          "Directory of the durable store (one log per shard, created if missing); retained messages survive a "
          "restart or a crash. Empty = nothing is saved.");
ABSL_FLAG(std::string, persistence, "sync",
          "With --data_dir: 'sync' acknowledges a retained QoS 1/2 PUBLISH only once it is on disk (one group "
          "commit per shard per loop turn, so throughput holds); 'async' saves every --persistence_flush_ms and "
          "can lose that much on a crash; 'off' saves nothing. Default sync: a device deletes its copy on PUBACK, "
          "so an acknowledged message must not be lost.");
ABSL_FLAG(uint32_t, persistence_flush_ms, 100,
          "--persistence async: milliseconds between saves, the most a crash can lose (1..60000). 100 ms: ten "
          "fdatasync per second per shard, a fraction of what a disk sustains.");
ABSL_FLAG(std::string, response_information_prefix, "",
          "MQTT 5: a client that requests response information is sent this prefix followed by its client id; "
          "empty = none is sent.");
ABSL_FLAG(std::string, scram_file, "",
          "Offers MQTT 5 enhanced authentication SCRAM-SHA-256 to the users in this file (lines "
          "user:SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, written by ringmq-scram-passwd), "
          "read at start-up; empty = no authentication method is offered.");
ABSL_FLAG(bool, require_enhanced_auth, false,
          "Refuse a CONNECT that names no authentication method (MQTT 5: CONNACK 0x8C; 3.1.1, which has "
          "none: 0x05). Off by default so that turning on --scram_file does not lock out clients that do "
          "not use it yet; needs --scram_file.");
ABSL_FLAG(uint32_t, max_subscriptions_per_client, 10000,
          "Subscriptions one session may hold (shared ones included); a SUBSCRIBE filter beyond it is refused "
          "(SUBACK 0x97 Quota exceeded; 3.1.1: 0x80) and counted in $SYS/broker/subscriptions/refused. "
          "Mosquitto and EMQX default to no limit; 10000 is far above what a device or a service subscribing "
          "per device type needs, and bounds what one client can make the broker hold. 0 = unlimited.");
ABSL_FLAG(uint64_t, max_retained_messages, 5000000,
          "Topics with a retained message, broker-wide. A retained PUBLISH to a new topic beyond it is not "
          "stored (replacing or clearing a topic's message always is) and is counted in "
          "$SYS/broker/retained messages/refused; see README for what the publisher and subscribers see. "
          "Each shard indexes every retained topic, so this bounds memory; 5 M covers a fleet of millions of "
          "devices with a retained state each. 0 = unlimited.");
ABSL_FLAG(uint64_t, max_retained_bytes, uint64_t{1} << 30,
          "Bytes (topic + properties + payload) of all retained messages, broker-wide; a retained PUBLISH to a "
          "new topic that would exceed it is refused as for --max_retained_messages. 1 GiB by default. "
          "0 = unlimited.");
ABSL_FLAG(uint32_t, shared_payload_threshold, 4096,
          "Payloads of at least this many bytes are sent to each subscriber straight from the one stored "
          "message instead of being copied into every subscriber's output; 0 = always copy.");
ABSL_FLAG(uint32_t, zerocopy_send_threshold, 0,
          "A send carrying at least this many bytes of shared payloads uses zero-copy (IORING_OP_SENDMSG_ZC, "
          "Linux 6.1+); 0 = off. Pays only for payloads of kilobytes on a real NIC, never on loopback.");
ABSL_FLAG(uint32_t, max_session_expiry, 14 * 24 * 3600,
          "Longest time (seconds) a session outlives its connection: caps MQTT 3.1.1 persistent sessions "
          "(clean session 0, otherwise kept forever) and MQTT 5 Session Expiry Interval requests (a client "
          "asking for more is told this value in CONNACK). 14 days, as FlashMQ: a device may be away over a "
          "holiday, yet sessions of client ids never seen again do not pile up forever. 0 = no session outlives "
          "its connection; 4294967295 = no cap.");
ABSL_FLAG(int64_t, max_sessions, 100000,
          "Offline sessions kept across the broker. A session whose client goes away while this many are "
          "kept is ended at once (counted in $SYS/broker/sessions/refused): sessions kept stay intact, and "
          "--max_session_expiry frees room. 0 = unlimited.");
ABSL_FLAG(uint32_t, max_connections_per_ip, 0,
          "Connections open at once from one IP address; more are closed at accept (counted in "
          "$SYS/broker/connections/refused/per_ip). 0 = unlimited, the default because whole fleets reach a "
          "broker from one address behind carrier-grade NAT or a load balancer; set it on a public listener.");
ABSL_FLAG(uint32_t, max_connect_rate, 0,
          "New connections accepted per second on each listener; more are closed at accept (counted in "
          "$SYS/broker/connections/refused/rate). 0 = unlimited, the default so a fleet reconnecting after a "
          "broker restart is not turned away; set it to shed connect floods.");

ABSL_FLAG(std::string, password_file, "",
          "mosquitto-format password file (user:$7$... lines, as written by mosquitto_passwd or ringmq-passwd); "
          "clients must log in with a username and password in it. Re-read on SIGHUP. Empty = no passwords.");
ABSL_FLAG(std::string, acl_file, "",
          "mosquitto-format ACL file (user, topic, pattern lines): what each client may publish and receive; "
          "what it does not grant is denied. Re-read on SIGHUP. Empty = every client may use every topic "
          "except reserved ($) ones for publishing.");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port ([v6]:port) to serve Prometheus metrics on, at GET /metrics over HTTP (port 0 = ephemeral, "
          "logged at start-up). Empty = no endpoint: off by default because the metrics are not authenticated, so "
          "the operator chooses where they are reachable (typically a loopback or management address).");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate (full chain, server certificate first) of the mqtts:// and wss:// listeners; needed by them.");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file.");
ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM CA certificates that client certificates are verified against (mutual TLS); empty = client "
          "certificates are not asked for.");
ABSL_FLAG(bool, tls_require_client_cert, false,
          "TLS clients must present a certificate signed by --tls_ca_file; the handshake fails without one. "
          "Off by default: most fleets log in with passwords over server-authenticated TLS.");
ABSL_FLAG(bool, tls_identity_as_username, false,
          "The client certificate's Common Name becomes the MQTT username (before --password_file and the ACL "
          "apply), as mosquitto's use_identity_as_username; needs --tls_require_client_cert.");
ABSL_FLAG(std::string, tls_min_version, "1.2",
          "Oldest TLS version accepted: 1.2 or 1.3. 1.2 by default because many embedded TLS stacks still stop "
          "there; older versions are broken and never accepted.");
ABSL_FLAG(std::string, tls_ciphers, "",
          "TLS 1.2 cipher list in OpenSSL syntax, passed through; empty = OpenSSL's default (its secure set).");
ABSL_FLAG(std::string, tls_ciphersuites, "",
          "TLS 1.3 cipher suites in OpenSSL syntax, passed through; empty = OpenSSL's default.");
ABSL_FLAG(std::string, tls_ticket_key_file, "",
          "80 secret bytes (`openssl rand 80 > FILE`, nginx's format) sealing TLS session tickets, so that a "
          "fleet reconnecting after a broker restart resumes its sessions instead of paying full handshakes, "
          "and brokers behind one balancer resume each other's; re-read on SIGHUP. Empty: random keys per process.");
ABSL_FLAG(int32_t, tls_session_lifetime, 86400,
          "Seconds a TLS session ticket resumes (at most 604800, RFC 8446). A day rather than OpenSSL's two hours "
          "so that devices reconnecting after an outage resume; long TLS 1.3 connections get fresh tickets.");
ABSL_FLAG(std::string, ws_allowed_origins, "",
          "Comma-separated Origin header values a WebSocket upgrade may carry (e.g. https://dash.example.com); "
          "others get 403. Empty = any: non-browser clients send no Origin, so restricting is the operator's call.");
ABSL_FLAG(std::optional<bool>, allow_anonymous, std::nullopt,
          "true or false: let clients without a username connect. Unset: true without --password_file, false "
          "with it (mosquitto 2's model: with credentials configured, anonymous access is turned on knowingly).");

namespace {

int DefaultShards() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

// The value of a flag that names one of a few choices, e.g. --persistence=sync.
template <typename Choice>
absl::StatusOr<Choice> ParseChoice(absl::string_view flag, absl::string_view value,
                                   std::initializer_list<std::pair<absl::string_view, Choice>> choices) {
  std::vector<absl::string_view> names;
  for (const auto& [name, choice] : choices) {
    if (name == value) return choice;
    names.push_back(name);
  }
  const std::string last(names.back());
  names.pop_back();
  return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be ", absl::StrJoin(names, ", "), " or ", last));
}

absl::Status TransportFromFlags(ringmq::TransportConfig& transport) {
  transport.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  transport.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  transport.tls_ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  transport.tls_require_client_cert = absl::GetFlag(FLAGS_tls_require_client_cert);
  transport.tls_identity_as_username = absl::GetFlag(FLAGS_tls_identity_as_username);
  transport.tls_min_version = absl::GetFlag(FLAGS_tls_min_version);
  transport.tls_ciphers = absl::GetFlag(FLAGS_tls_ciphers);
  transport.tls_ciphersuites = absl::GetFlag(FLAGS_tls_ciphersuites);
  transport.tls_ticket_key_file = absl::GetFlag(FLAGS_tls_ticket_key_file);
  const int32_t session_lifetime = absl::GetFlag(FLAGS_tls_session_lifetime);
  if (session_lifetime < 1 || session_lifetime > 604800) {
    return absl::InvalidArgumentError("--tls_session_lifetime must be 1 to 604800 seconds");
  }
  transport.tls_session_lifetime_s = static_cast<uint32_t>(session_lifetime);
  for (absl::string_view origin : absl::StrSplit(absl::GetFlag(FLAGS_ws_allowed_origins), ',', absl::SkipWhitespace())) {
    transport.ws_allowed_origins.emplace_back(absl::StripAsciiWhitespace(origin));
  }
  if (transport.tls_min_version != "1.2" && transport.tls_min_version != "1.3") {
    return absl::InvalidArgumentError("--tls_min_version must be 1.2 or 1.3");
  }
  if (transport.tls_cert_file.empty() != transport.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert_file and --tls_key_file go together");
  }
  if (transport.tls_require_client_cert && transport.tls_ca_file.empty()) {
    return absl::InvalidArgumentError("--tls_require_client_cert needs --tls_ca_file to verify client certificates");
  }
  if (transport.tls_identity_as_username && !transport.tls_require_client_cert) {
    return absl::InvalidArgumentError("--tls_identity_as_username needs --tls_require_client_cert");
  }
  return absl::OkStatus();
}

absl::StatusOr<ringmq::BrokerConfig> ConfigFromFlags() {
  ringmq::BrokerConfig config;
  for (const std::string& text : absl::GetFlag(FLAGS_listen).addresses) {
    absl::StatusOr<ringmq::ListenUrl> url = ringmq::ParseListenUrl(text);
    if (!url.ok()) return url.status();
    config.listen.push_back(*std::move(url));
  }
  if (config.listen.empty()) config.listen.push_back(ringmq::ListenUrl{.address = {"0.0.0.0", 1883}});
  if (absl::Status status = TransportFromFlags(config.transport); !status.ok()) return status;
  config.shards = absl::GetFlag(FLAGS_shards) > 0 ? absl::GetFlag(FLAGS_shards) : DefaultShards();
  if (config.shards > 64) return absl::InvalidArgumentError("--shards may be at most 64");
  config.max_connections = absl::GetFlag(FLAGS_max_connections);
  config.max_packet_size = absl::GetFlag(FLAGS_max_packet_size);
  if (config.max_packet_size < 16 || config.max_packet_size > 268435460) {
    return absl::InvalidArgumentError("--max_packet_size must be between 16 and 268435460");
  }
  config.max_inflight = std::max<uint32_t>(1, absl::GetFlag(FLAGS_max_inflight));
  config.max_queued_messages = absl::GetFlag(FLAGS_max_queued_messages);
  config.max_subscriptions_per_client = absl::GetFlag(FLAGS_max_subscriptions_per_client);
  config.max_retained_messages = absl::GetFlag(FLAGS_max_retained_messages);
  config.max_retained_bytes = absl::GetFlag(FLAGS_max_retained_bytes);
  config.max_queued_bytes = absl::GetFlag(FLAGS_max_queued_bytes);
  if (config.max_queued_bytes >= (uint64_t{1} << 32)) {
    return absl::InvalidArgumentError("--max_queued_bytes must be below 4 GiB");
  }
  config.slow_subscriber_timeout_s = absl::GetFlag(FLAGS_slow_subscriber_timeout);
  using SlowSubscriberAction = ringmq::BrokerConfig::SlowSubscriberAction;
  absl::StatusOr<SlowSubscriberAction> slow_action =
      ParseChoice<SlowSubscriberAction>("slow_subscriber_action", absl::GetFlag(FLAGS_slow_subscriber_action),
                                        {{"drop", SlowSubscriberAction::kDrop},
                                         {"disconnect", SlowSubscriberAction::kDisconnect}});
  if (!slow_action.ok()) return slow_action.status();
  config.slow_subscriber_action = *slow_action;
  config.sys_interval_s = absl::GetFlag(FLAGS_sys_interval);
  config.connect_timeout_s = std::max<uint32_t>(1, absl::GetFlag(FLAGS_connect_timeout));
  config.recv_buffer_count = absl::GetFlag(FLAGS_recv_buffer_count);
  config.recv_buffer_size = absl::GetFlag(FLAGS_recv_buffer_size);
  config.cross_shard_queue_size = absl::GetFlag(FLAGS_cross_shard_queue_size);
  config.pin_threads = absl::GetFlag(FLAGS_pin_threads);
  if (absl::GetFlag(FLAGS_max_qos) > 2) return absl::InvalidArgumentError("--max_qos must be 0, 1 or 2");
  config.max_qos = static_cast<uint8_t>(absl::GetFlag(FLAGS_max_qos));
  config.retain_available = absl::GetFlag(FLAGS_retain_available);
  config.wildcard_subscriptions = absl::GetFlag(FLAGS_wildcard_subscriptions);
  config.subscription_identifiers = absl::GetFlag(FLAGS_subscription_identifiers);
  if (absl::GetFlag(FLAGS_max_topic_alias) > 65535) {
    return absl::InvalidArgumentError("--max_topic_alias must be at most 65535");
  }
  config.max_topic_alias = static_cast<uint16_t>(absl::GetFlag(FLAGS_max_topic_alias));
  config.max_topic_levels = std::max<uint32_t>(1, absl::GetFlag(FLAGS_max_topic_levels));
  if (absl::GetFlag(FLAGS_max_keep_alive) < 1 || absl::GetFlag(FLAGS_max_keep_alive) > 65535) {
    return absl::InvalidArgumentError("--max_keep_alive must be between 1 and 65535");
  }
  config.max_keep_alive = static_cast<uint16_t>(absl::GetFlag(FLAGS_max_keep_alive));
  config.incomplete_packet_timeout_s = std::max<uint32_t>(1, absl::GetFlag(FLAGS_incomplete_packet_timeout));
  config.max_publish_rate = absl::GetFlag(FLAGS_max_publish_rate);
  config.max_publish_bytes_rate = absl::GetFlag(FLAGS_max_publish_bytes_rate);
  if (config.max_publish_bytes_rate >= (uint64_t{1} << 40)) {
    return absl::InvalidArgumentError("--max_publish_bytes_rate must be below 1 TiB/s");
  }
  config.memory_limit = absl::GetFlag(FLAGS_memory_limit);
  if (config.memory_limit != 0 && config.memory_limit < (uint64_t{16} << 20)) {
    return absl::InvalidArgumentError("--memory_limit must be 0 (off) or at least 16 MiB");
  }
  config.bridge_file = absl::GetFlag(FLAGS_bridge_file);
  if (!config.bridge_file.empty()) {
    std::ifstream file(config.bridge_file, std::ios::binary);
    if (!file) return absl::InvalidArgumentError(absl::StrCat("--bridge_file: cannot read ", config.bridge_file));
    const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    absl::StatusOr<std::vector<ringmq::BridgeConfig>> bridges = ringmq::ParseBridgeFile(text);
    if (!bridges.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--bridge_file ", config.bridge_file, ": ", bridges.status().message()));
    }
    if (bridges->empty()) return absl::InvalidArgumentError(absl::StrCat("--bridge_file ", config.bridge_file, ": no connection"));
    config.bridges = *std::move(bridges);
  }
  config.data_dir = absl::GetFlag(FLAGS_data_dir);
  using Persistence = ringmq::BrokerConfig::Persistence;
  absl::StatusOr<Persistence> persistence = ParseChoice<Persistence>(
      "persistence", absl::GetFlag(FLAGS_persistence),
      {{"off", Persistence::kOff}, {"async", Persistence::kAsync}, {"sync", Persistence::kSync}});
  if (!persistence.ok()) return persistence.status();
  config.persistence = *persistence;
  config.persistence_flush_ms = absl::GetFlag(FLAGS_persistence_flush_ms);
  if (config.persistence_flush_ms < 1 || config.persistence_flush_ms > 60000) {
    return absl::InvalidArgumentError("--persistence_flush_ms must be between 1 and 60000");
  }
  config.response_information_prefix = absl::GetFlag(FLAGS_response_information_prefix);
  config.shared_payload_threshold = absl::GetFlag(FLAGS_shared_payload_threshold);
  config.zerocopy_send_threshold = absl::GetFlag(FLAGS_zerocopy_send_threshold);
  config.access.password_file = absl::GetFlag(FLAGS_password_file);
  config.access.acl_file = absl::GetFlag(FLAGS_acl_file);
  config.access.allow_anonymous = absl::GetFlag(FLAGS_allow_anonymous);
  config.max_session_expiry_s = absl::GetFlag(FLAGS_max_session_expiry);
  config.max_sessions = absl::GetFlag(FLAGS_max_sessions);
  if (config.max_sessions < 0) return absl::InvalidArgumentError("--max_sessions must be 0 (unlimited) or more");
  config.max_connections_per_ip = absl::GetFlag(FLAGS_max_connections_per_ip);
  config.max_connect_rate = absl::GetFlag(FLAGS_max_connect_rate);
  if (const std::string metrics = absl::GetFlag(FLAGS_metrics_listen); !metrics.empty()) {
    absl::StatusOr<ringmq::ListenAddress> address = ringmq::ParseListenAddress(metrics);
    if (!address.ok()) return absl::InvalidArgumentError(absl::StrCat("--metrics_listen: ", address.status().message()));
    config.metrics_listen = *address;
  }
  const uint32_t queue = config.cross_shard_queue_size;
  if (queue < 2 || (queue & (queue - 1)) != 0) {
    return absl::InvalidArgumentError("--cross_shard_queue_size must be a power of two");
  }
  std::optional<ringmq::LogLevel> level = ringmq::ParseLogLevel(absl::GetFlag(FLAGS_log_level));
  if (!level.has_value()) return absl::InvalidArgumentError("--log_level must be debug, info, warning or error");
  config.log_level = *level;
  if (const std::string scram_file = absl::GetFlag(FLAGS_scram_file); !scram_file.empty()) {
    absl::StatusOr<std::shared_ptr<const ringmq::ScramCredentials>> credentials = ringmq::LoadScramFile(scram_file);
    if (!credentials.ok()) return credentials.status();
    config.scram_credentials = *std::move(credentials);
  }
  config.access.enhanced_auth = config.scram_credentials != nullptr;
  config.require_enhanced_auth = absl::GetFlag(FLAGS_require_enhanced_auth);
  if (config.require_enhanced_auth && config.scram_credentials == nullptr) {
    return absl::InvalidArgumentError("--require_enhanced_auth needs an authentication method: give --scram_file");
  }
  return config;
}

// Start-up only (a reload must not repeat them): the log level, the SCRAM log line, kernel fallbacks.
void ApplyAtStartUp(ringmq::BrokerConfig& config) {
  ringmq::SetLogLevel(config.log_level);
  if (config.scram_credentials != nullptr) {
    ringmq::Log(ringmq::LogLevel::kInfo, "SCRAM-SHA-256: %d users from %s",
                static_cast<int>(config.scram_credentials->size()), absl::GetFlag(FLAGS_scram_file));
  }
  if (config.zerocopy_send_threshold > 0 && !ringmq::Ring::SendmsgZcSupported()) {
    ringmq::Log(ringmq::LogLevel::kWarning,
                "--zerocopy_send_threshold: this kernel lacks IORING_OP_SENDMSG_ZC (needs 6.1); sending with copies");
    config.zerocopy_send_threshold = 0;
  }
}

// The file the broker's flags are defined in, as Abseil records it: only these are re-read on SIGHUP.
std::string OwnFlagsFile() { return absl::FindCommandLineFlag("shards")->Filename(); }

// SIGHUP: the command line read again (each --flagfile re-read at its place) into a configuration.
ringmq::ConfigSource ConfigSourceFor(std::vector<std::string> args) {
  ringmq::ConfigSource source;
  source.started_with = ringmq::CurrentFlagValues(OwnFlagsFile());
  source.reread = [args = std::move(args)]() -> absl::StatusOr<ringmq::ReloadedConfig> {
    ringmq::ReloadedConfig reloaded;
    absl::Status status = ringmq::WithFlagsReread(
        args, OwnFlagsFile(), [] { ringmq::AllListenOccurrences().clear(); },
        [&reloaded]() -> absl::Status {
          absl::StatusOr<ringmq::BrokerConfig> config = ConfigFromFlags();
          if (!config.ok()) return config.status();
          reloaded.config = *std::move(config);
          reloaded.flags = ringmq::CurrentFlagValues(OwnFlagsFile());
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    return reloaded;
  };
  return source;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "a sharded io_uring MQTT 3.1.1/5.0 broker.\n"
      "Usage: ringmq [--listen=0.0.0.0:1883] [--shards=N] [--flagfile=ringmq.conf] ...");
  // --version (Abseil's built-in flag) prints this and exits 0.
  absl::FlagsUsageConfig usage_config;
  usage_config.version_string = [] { return ringmq::VersionLine() + "\n"; };
  absl::SetFlagsUsageConfig(usage_config);
  absl::ParseCommandLine(argc, argv);
  absl::StatusOr<ringmq::BrokerConfig> config = ConfigFromFlags();
  if (!config.ok()) {
    std::fprintf(stderr, "ringmq: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  ApplyAtStartUp(*config);
  ringmq::ConfigSource source = ConfigSourceFor(std::vector<std::string>(argv + 1, argv + argc));
  // From here until it stops, log lines go through the writer thread: a shard never waits on stderr.
  ringmq::StartLogWriter();
  absl::Status status = ringmq::RunBroker(*std::move(config), std::move(source));
  ringmq::StopLogWriter();  // every queued line is out before the process exits
  if (!status.ok()) {
    std::fprintf(stderr, "ringmq: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
