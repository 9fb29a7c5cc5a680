#include "tools/bench/bench_flags.h"

#include <unistd.h>

#include <cstdint>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, scenario, "pairs",
          "pairs: N publishers each to its own subscriber (2N connections); fanin: N publishers, one "
          "wildcard subscriber; fanout: one publisher, N subscribers; conn: open N connections as fast "
          "as the broker accepts them and hold them idle for --duration; pub: N publishers on --topic; "
          "sub: N subscribers on --topic (run pub and sub in two processes for custom shapes)");
ABSL_FLAG(std::string, host, "127.0.0.1", "Broker host name or address");
ABSL_FLAG(int32_t, port, 1883, "Broker TCP port (of the listener for --transport)");
ABSL_FLAG(int32_t, protocol, 4, "MQTT protocol level: 4 (3.1.1) or 5 (5.0)");
ABSL_FLAG(std::string, transport, "tcp",
          "tcp: MQTT over plain TCP; tls: MQTT over TLS (port 8883 by convention); ws: MQTT over WebSocket "
          "(binary frames, subprotocol mqtt, at --ws_path); wss: WebSocket over TLS");
ABSL_FLAG(std::string, tls_ca_file, "",
          "tls/wss: PEM file of the CA certificates the broker's certificate is checked against (its name "
          "or IP address must match --host); empty = the system's CA store");
ABSL_FLAG(std::string, tls_cert_file, "", "tls/wss: client certificate chain (PEM) for mutual TLS; empty = none");
ABSL_FLAG(std::string, tls_key_file, "", "tls/wss: private key (PEM) of --tls_cert_file");
ABSL_FLAG(bool, tls_session_resumption, false,
          "tls/wss: every connection offers the newest session ticket its worker thread received, so all "
          "but the first connections of a thread resume (a fleet reconnecting after a broker restart). Off "
          "by default: each connection is a device the broker has never seen and pays a full handshake");
ABSL_FLAG(std::string, ws_path, "/mqtt", "ws/wss: the HTTP path of the upgrade request");
ABSL_FLAG(std::string, username, "",
          "User name for CONNECT (empty: none); {n} is replaced by the connection's index (0 to connections-1; "
          "pairs: publishers 0..N-1, subscribers N..2N-1), so every connection can log in as its own user");
ABSL_FLAG(std::string, password, "", "Password for CONNECT (empty: none); {n} as in --username");
ABSL_FLAG(uint32_t, clients, 1,
          "Publishers (pairs, fanin, pub), subscribers (fanout, sub) or connections (conn)");
ABSL_FLAG(uint32_t, threads, 1,
          "Worker threads, each with its own io_uring and share of the connections (only of the publishers "
          "when --subscriber_threads is set)");
ABSL_FLAG(uint32_t, subscriber_threads, 0,
          "Extra worker threads holding only the subscribers (pairs, fanin, fanout); --threads then "
          "holds only the publishers. 0 = subscribers share the --threads threads with the publishers");
ABSL_FLAG(double, connect_rate, 0, "New connections per second over all threads; 0 = as fast as possible");
ABSL_FLAG(uint32_t, connect_concurrency, 32,
          "Connections being opened at the same time, per thread (above the broker's listen backlog, "
          "SYNs are dropped and retried a second later)");
ABSL_FLAG(double, connect_timeout, 30, "Seconds allowed for all connections (and subscriptions) to be ready");
ABSL_FLAG(int32_t, qos, 0, "QoS of publishes and subscriptions: 0, 1 or 2");
ABSL_FLAG(uint32_t, size, 64,
          "Payload bytes, at least 20: 8-byte send timestamp, 4-byte publisher index and 8-byte sequence "
          "number, then padding");
ABSL_FLAG(double, rate, 0, "Messages per second per publisher; 0 = unlimited");
ABSL_FLAG(uint32_t, inflight, 100, "QoS 1/2: outstanding PUBACK/PUBCOMP per publisher before it pauses "
                                   "(also capped by the broker's MQTT 5 receive maximum)");
ABSL_FLAG(uint32_t, publisher_send_buffer, 64 * 1024,
          "SO_SNDBUF of each publisher socket in bytes (the kernel doubles it); 0 = kernel autotuning, "
          "which lets an unlimited publisher queue megabytes (seconds of messages) the broker has not read");
ABSL_FLAG(uint32_t, e2e_window, 0,
          "A publisher pauses while this many of its messages are not yet received by their subscribers "
          "(pairs, fanin, fanout); 0 = off. Messages lost at QoS 0 are written off after 1 s");
ABSL_FLAG(double, duration, 10, "Seconds of measurement (conn: seconds to hold the connections)");
ABSL_FLAG(double, warmup, 1, "Seconds of publishing before the measurement starts");
ABSL_FLAG(double, drain, 2,
          "Seconds to wait after publishing stops for outstanding messages to arrive; those still missing "
          "then are reported as unfinished (after the last one received from their publisher) or lost "
          "(a later one of their publisher arrived)");
ABSL_FLAG(bool, retain, false, "Publish with the retain flag");
ABSL_FLAG(bool, clean, true, "Clean session (3.1.1) / clean start (5.0)");
ABSL_FLAG(int32_t, keepalive, 60, "Keep-alive seconds sent in CONNECT; PINGREQ after half of it idle");
ABSL_FLAG(std::string, topic_prefix, "rmqb", "First topic level of the pairs/fanin/fanout topics");
ABSL_FLAG(std::string, topic,
          "", "pub: publish topic template, sub: subscription filter template; %i = client index, %t = "
              "thread index, %% = '%'. Defaults: <topic_prefix>/pub/%i and <topic_prefix>/pub/+");
ABSL_FLAG(std::string, client_id_prefix, "", "Client identifier prefix; default rmqb-<pid>-");
ABSL_FLAG(int32_t, broker_pid, 0,
          "Broker process id: sample its CPU time and RSS from /proc and report delivered messages per "
          "broker CPU-second and RSS per connection");
ABSL_FLAG(bool, expect_no_loss, false,
          "Exit with status 3 when a QoS 1/2 message was lost or had not arrived by the end of --drain");
ABSL_FLAG(bool, progress, true, "Print a progress line every second on stderr");

namespace ringmq::bench {
namespace {

absl::Duration Seconds(const absl::Flag<double>& flag) { return absl::Seconds(absl::GetFlag(flag)); }

std::optional<std::string> NonEmpty(std::string value) {
  if (value.empty()) return std::nullopt;
  return value;
}

}  // namespace

absl::StatusOr<BenchConfig> ConfigFromFlags() {
  BenchConfig config;
  absl::StatusOr<Scenario> scenario = ParseScenario(absl::GetFlag(FLAGS_scenario));
  if (!scenario.ok()) return scenario.status();
  config.scenario = *scenario;
  config.host = absl::GetFlag(FLAGS_host);
  const int32_t port = absl::GetFlag(FLAGS_port);
  if (port <= 0 || port > 65535) return absl::InvalidArgumentError("--port must be in 1..65535");
  config.port = static_cast<uint16_t>(port);
  const int32_t protocol = absl::GetFlag(FLAGS_protocol);
  if (protocol != 4 && protocol != 5) return absl::InvalidArgumentError("--protocol must be 4 or 5");
  config.protocol = protocol == 5 ? ProtocolVersion::kV5 : ProtocolVersion::kV311;
  absl::StatusOr<Transport> transport = ParseTransport(absl::GetFlag(FLAGS_transport));
  if (!transport.ok()) return transport.status();
  config.transport = *transport;
  config.tls_ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  config.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  config.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  config.tls_session_resumption = absl::GetFlag(FLAGS_tls_session_resumption);
  config.ws_path = absl::GetFlag(FLAGS_ws_path);
  config.username = NonEmpty(absl::GetFlag(FLAGS_username));
  config.password = NonEmpty(absl::GetFlag(FLAGS_password));
  config.clients = absl::GetFlag(FLAGS_clients);
  config.threads = absl::GetFlag(FLAGS_threads);
  config.subscriber_threads = absl::GetFlag(FLAGS_subscriber_threads);
  config.connect_rate = absl::GetFlag(FLAGS_connect_rate);
  config.connect_concurrency = absl::GetFlag(FLAGS_connect_concurrency);
  config.connect_timeout = Seconds(FLAGS_connect_timeout);
  const int32_t qos = absl::GetFlag(FLAGS_qos);
  if (qos < 0 || qos > 2) return absl::InvalidArgumentError("--qos must be 0, 1 or 2");
  config.qos = static_cast<uint8_t>(qos);
  config.size = absl::GetFlag(FLAGS_size);
  config.rate = absl::GetFlag(FLAGS_rate);
  config.inflight = absl::GetFlag(FLAGS_inflight);
  config.publisher_send_buffer = absl::GetFlag(FLAGS_publisher_send_buffer);
  config.e2e_window = absl::GetFlag(FLAGS_e2e_window);
  config.duration = Seconds(FLAGS_duration);
  config.warmup = Seconds(FLAGS_warmup);
  config.drain = Seconds(FLAGS_drain);
  config.retain = absl::GetFlag(FLAGS_retain);
  config.clean = absl::GetFlag(FLAGS_clean);
  const int32_t keepalive = absl::GetFlag(FLAGS_keepalive);
  if (keepalive < 0 || keepalive > 65535) return absl::InvalidArgumentError("--keepalive must be in 0..65535");
  config.keepalive = static_cast<uint16_t>(keepalive);
  config.topic_prefix = absl::GetFlag(FLAGS_topic_prefix);
  config.topic = absl::GetFlag(FLAGS_topic);
  config.client_id_prefix = absl::GetFlag(FLAGS_client_id_prefix);
  if (config.client_id_prefix.empty()) config.client_id_prefix = absl::StrCat("rmqb-", getpid(), "-");
  config.broker_pid = absl::GetFlag(FLAGS_broker_pid);
  config.expect_no_loss = absl::GetFlag(FLAGS_expect_no_loss);
  config.progress = absl::GetFlag(FLAGS_progress);
  if (absl::Status valid = Validate(config); !valid.ok()) return valid;
  return config;
}

}  // namespace ringmq::bench
