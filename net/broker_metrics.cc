#include "net/broker_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace ringmq {
namespace {

#define RINGMQ_COUNTER(field) [](const ShardStats& s) -> const Counter& { return s.field; }

constexpr double kNanosecondsToSeconds = 1e-9;

// The `le` labels below are kCommitLatencyBoundsNs in seconds.
static_assert(kCommitLatencyBuckets == 12 && kCommitLatencyBoundsNs[0] == 500'000 &&
              kCommitLatencyBoundsNs[11] == 1'000'000'000);

constexpr ShardMetric kShardMetrics[] = {
    {"ringmq_clients_connected", MetricType::kGauge, "MQTT clients connected (past CONNECT) on the shard.", "", "",
     "$SYS/broker/clients/connected", SysAggregate::kSum, RINGMQ_COUNTER(clients_connected)},
    {"ringmq_shard_connections", MetricType::kGauge,
     "Sockets the shard serves, ones still before CONNECT included (sampled every 250 ms).", "", "", "",
     SysAggregate::kNone, RINGMQ_COUNTER(connections)},
    {"ringmq_connections_accepted_total", MetricType::kCounter,
     "Sockets accepted by the listeners, the ones then refused included.", "", "",
     "$SYS/broker/connections/accepted", SysAggregate::kSum, RINGMQ_COUNTER(connections_accepted)},
    {"ringmq_connections_refused_total", MetricType::kCounter, "Sockets closed at accept, by the limit that refused them.",
     "reason", "max_connections", "$SYS/broker/connections/refused/max_connections", SysAggregate::kSum,
     RINGMQ_COUNTER(refused_max_connections)},
    {"ringmq_connections_refused_total", MetricType::kCounter, "", "reason", "per_ip",
     "$SYS/broker/connections/refused/per_ip", SysAggregate::kSum, RINGMQ_COUNTER(refused_per_ip)},
    {"ringmq_connections_refused_total", MetricType::kCounter, "", "reason", "rate",
     "$SYS/broker/connections/refused/rate", SysAggregate::kSum, RINGMQ_COUNTER(refused_connect_rate)},
    {"ringmq_connections_refused_total", MetricType::kCounter, "", "reason", "memory_limit",
     "$SYS/broker/limits/memory_refused_connections", SysAggregate::kSum, RINGMQ_COUNTER(memory_limit_refused)},
    {"ringmq_messages_received_total", MetricType::kCounter, "PUBLISH packets received from clients, by QoS.", "qos",
     "0", "$SYS/broker/messages/received", SysAggregate::kSum, RINGMQ_COUNTER(messages_received[0])},
    {"ringmq_messages_received_total", MetricType::kCounter, "", "qos", "1", "$SYS/broker/messages/received",
     SysAggregate::kSum, RINGMQ_COUNTER(messages_received[1])},
    {"ringmq_messages_received_total", MetricType::kCounter, "", "qos", "2", "$SYS/broker/messages/received",
     SysAggregate::kSum, RINGMQ_COUNTER(messages_received[2])},
    {"ringmq_messages_sent_total", MetricType::kCounter,
     "PUBLISH packets written to clients, by QoS (retransmissions included).", "qos", "0",
     "$SYS/broker/messages/sent", SysAggregate::kSum, RINGMQ_COUNTER(messages_sent[0])},
    {"ringmq_messages_sent_total", MetricType::kCounter, "", "qos", "1", "$SYS/broker/messages/sent",
     SysAggregate::kSum, RINGMQ_COUNTER(messages_sent[1])},
    {"ringmq_messages_sent_total", MetricType::kCounter, "", "qos", "2", "$SYS/broker/messages/sent",
     SysAggregate::kSum, RINGMQ_COUNTER(messages_sent[2])},
    {"ringmq_received_bytes_total", MetricType::kCounter, "Bytes received from clients (every packet).", "", "",
     "$SYS/broker/bytes/received", SysAggregate::kSum, RINGMQ_COUNTER(bytes_received)},
    {"ringmq_sent_bytes_total", MetricType::kCounter, "Bytes sent to clients (every packet).", "", "",
     "$SYS/broker/bytes/sent", SysAggregate::kSum, RINGMQ_COUNTER(bytes_sent)},
#define RINGMQ_DROPPED(reason, name)                                                                   \
  "reason", name, "$SYS/broker/messages/dropped/" name, SysAggregate::kSum,                             \
      RINGMQ_COUNTER(dropped[static_cast<size_t>(DropReason::reason)]), 1, "$SYS/broker/messages/dropped"
    {"ringmq_messages_dropped_total", MetricType::kCounter,
     "Messages not delivered to a subscriber, by reason: qos0_offline (QoS 0 is not queued for an absent "
     "client), qos0_output_full (--max_queued_bytes of output pending), offline_queue (QoS 1/2 for an offline "
     "session past its queue bounds), slow_subscriber (a subscriber stuck past --slow_subscriber_timeout, "
     "with --slow_subscriber_action=drop), queue_full (QoS 1/2 past the bounds with no publisher to slow "
     "down: retained messages, wills, $SYS), too_large_for_client (above its MQTT 5 Maximum Packet Size).",
     RINGMQ_DROPPED(kQos0Offline, "qos0_offline")},
    {"ringmq_messages_dropped_total", MetricType::kCounter, "", RINGMQ_DROPPED(kQos0OutputFull, "qos0_output_full")},
    {"ringmq_messages_dropped_total", MetricType::kCounter, "", RINGMQ_DROPPED(kOfflineQueue, "offline_queue")},
    {"ringmq_messages_dropped_total", MetricType::kCounter, "", RINGMQ_DROPPED(kSlowSubscriber, "slow_subscriber")},
    {"ringmq_messages_dropped_total", MetricType::kCounter, "", RINGMQ_DROPPED(kQueueFull, "queue_full")},
    {"ringmq_messages_dropped_total", MetricType::kCounter, "",
     RINGMQ_DROPPED(kTooLargeForClient, "too_large_for_client")},
#undef RINGMQ_DROPPED
    {"ringmq_publisher_holds_total", MetricType::kCounter,
     "Times a publisher was held back (not read) because a connected subscriber's queue was at its bounds.", "",
     "", "$SYS/broker/backpressure/publisher_holds", SysAggregate::kSum, RINGMQ_COUNTER(publisher_holds)},
    {"ringmq_slow_subscriber_disconnects_total", MetricType::kCounter,
     "Subscribers closed for acknowledging nothing for --slow_subscriber_timeout with a full queue.", "", "",
     "$SYS/broker/backpressure/slow_subscriber_disconnects", SysAggregate::kSum,
     RINGMQ_COUNTER(slow_subscriber_disconnects)},
    {"ringmq_subscriptions", MetricType::kGauge, "Subscriptions of the sessions whose home is the shard.", "", "",
     "$SYS/broker/subscriptions/count", SysAggregate::kSum, RINGMQ_COUNTER(subscriptions)},
    {"ringmq_subscriptions_refused_total", MetricType::kCounter,
     "SUBSCRIBE filters refused by --max_subscriptions_per_client.", "", "", "$SYS/broker/subscriptions/refused",
     SysAggregate::kSum, RINGMQ_COUNTER(subscriptions_refused)},
    {"ringmq_retained_refused_total", MetricType::kCounter,
     "Retained PUBLISHes not stored because of --max_retained_messages or --max_retained_bytes.", "", "",
     "$SYS/broker/retained messages/refused", SysAggregate::kSum, RINGMQ_COUNTER(retained_refused)},
    {"ringmq_retained_expired_total", MetricType::kCounter,
     "Retained messages purged from the shard's replica at their MQTT 5 expiry (every replica purges the same).",
     "", "", "$SYS/broker/retained messages/expired", SysAggregate::kOwnShard, RINGMQ_COUNTER(retained_expired)},
    {"ringmq_sessions", MetricType::kGauge,
     "Sessions whose home is the shard, connected or not (sampled every 250 ms).", "", "",
     "$SYS/broker/sessions/count", SysAggregate::kSum, RINGMQ_COUNTER(sessions)},
    {"ringmq_retained_messages", MetricType::kGauge,
     "Retained messages in the shard's replica of the retained store (the replicas converge).", "", "",
     "$SYS/broker/retained messages/count", SysAggregate::kOwnShard, RINGMQ_COUNTER(retained_messages)},
    {"ringmq_cross_shard_backlog_envelopes", MetricType::kGauge,
     "Envelopes waiting in the shard because a queue to another shard was full.", "", "",
     "$SYS/broker/cross_shard/backlog", SysAggregate::kSum, RINGMQ_COUNTER(cross_shard_backlog)},
    {"ringmq_cross_shard_queue_full_total", MetricType::kCounter,
     "Times a queue to another shard was found full and envelopes had to wait in the backlog.", "", "",
     "$SYS/broker/cross_shard/queue_full", SysAggregate::kSum, RINGMQ_COUNTER(cross_shard_queue_full)},
    {"ringmq_congestion_pauses_total", MetricType::kCounter,
     "Times the shard stopped reading its publishers because a queue to another shard was full.", "", "",
     "$SYS/broker/cross_shard/congestion_pauses", SysAggregate::kSum, RINGMQ_COUNTER(congestion_pauses)},
    {"ringmq_input_paused_connections", MetricType::kGauge,
     "Connections whose input waits: congestion, output backed up, rate or memory limits (sampled every 250 ms).",
     "", "", "", SysAggregate::kNone, RINGMQ_COUNTER(input_paused_connections)},
    {"ringmq_recv_buffers_exhausted_total", MetricType::kCounter,
     "Receives ended because the shard's provided-buffer ring was empty (ENOBUFS), then re-armed.", "", "",
     "$SYS/broker/recv_buffers/exhausted", SysAggregate::kSum, RINGMQ_COUNTER(recv_buffers_exhausted)},
    {"ringmq_logins_refused_total", MetricType::kCounter,
     "CONNECTs refused by the password file, --allow_anonymous or client id ownership.", "", "",
     "$SYS/broker/clients/refused", SysAggregate::kSum, RINGMQ_COUNTER(logins_refused)},
    {"ringmq_publishes_denied_total", MetricType::kCounter,
     "PUBLISHes and wills the ACL or the reserved-topic rule kept from routing.", "", "", "$SYS/broker/publish/denied",
     SysAggregate::kSum, RINGMQ_COUNTER(publishes_denied)},
    {"ringmq_subscriptions_denied_total", MetricType::kCounter, "SUBSCRIBE filters refused by the ACL.", "", "",
     "$SYS/broker/subscribe/denied", SysAggregate::kSum, RINGMQ_COUNTER(subscriptions_denied)},
    {"ringmq_sessions_refused_total", MetricType::kCounter,
     "Sessions ended at disconnect because --max_sessions offline sessions were kept.", "", "",
     "$SYS/broker/sessions/refused", SysAggregate::kSum, RINGMQ_COUNTER(sessions_refused)},
    {"ringmq_incomplete_packet_timeouts_total", MetricType::kCounter,
     "Keep-alive 0 clients closed for holding an incomplete packet past --incomplete_packet_timeout.", "", "",
     "$SYS/broker/limits/incomplete_packet_timeouts", SysAggregate::kSum, RINGMQ_COUNTER(incomplete_packet_timeouts)},
    {"ringmq_keep_alive_refused_total", MetricType::kCounter, "MQTT 3.1/3.1.1 CONNECTs refused by --max_keep_alive.",
     "", "", "$SYS/broker/limits/keep_alive_refused", SysAggregate::kSum, RINGMQ_COUNTER(keep_alive_refused)},
    {"ringmq_awaiting_rel_exceeded_total", MetricType::kCounter,
     "Clients closed for more QoS 2 messages awaiting PUBREL than --max_inflight.", "", "",
     "$SYS/broker/limits/awaiting_rel_exceeded", SysAggregate::kSum, RINGMQ_COUNTER(awaiting_rel_exceeded)},
    {"ringmq_publish_rate_pauses_total", MetricType::kCounter,
     "Times a client's input waited for --max_publish_rate or --max_publish_bytes_rate.", "", "",
     "$SYS/broker/limits/publish_rate_pauses", SysAggregate::kSum, RINGMQ_COUNTER(publish_rate_pauses)},
    {"ringmq_memory_limit_pauses_total", MetricType::kCounter, "Times a publisher's input waited for --memory_limit.",
     "", "", "$SYS/broker/limits/memory_pauses", SysAggregate::kSum, RINGMQ_COUNTER(memory_limit_pauses)},
    {"ringmq_shard_loop_busy_seconds_total", MetricType::kCounter,
     "Time the shard's event loop spent working, outside io_uring_submit_and_wait.", "", "", "", SysAggregate::kNone,
     RINGMQ_COUNTER(loop_busy_ns), kNanosecondsToSeconds},
    {"ringmq_shard_loop_wait_seconds_total", MetricType::kCounter,
     "Time the shard's event loop spent waiting in io_uring_submit_and_wait.", "", "", "", SysAggregate::kNone,
     RINGMQ_COUNTER(loop_wait_ns), kNanosecondsToSeconds},
#define RINGMQ_TRANSPORT(scheme, name)                                                                  \
  "transport", name, "$SYS/broker/connections/accepted/" name, SysAggregate::kSum,                       \
      RINGMQ_COUNTER(accepted_by_transport[static_cast<size_t>(ListenScheme::scheme)])
    {"ringmq_transport_connections_accepted_total", MetricType::kCounter,
     "Sockets accepted, by the transport of the --listen URL that accepted them (refused ones included; "
     "the sum is ringmq_connections_accepted_total).",
     RINGMQ_TRANSPORT(kMqtt, "tcp")},
    {"ringmq_transport_connections_accepted_total", MetricType::kCounter, "", RINGMQ_TRANSPORT(kMqtts, "tls")},
    {"ringmq_transport_connections_accepted_total", MetricType::kCounter, "", RINGMQ_TRANSPORT(kWs, "ws")},
    {"ringmq_transport_connections_accepted_total", MetricType::kCounter, "", RINGMQ_TRANSPORT(kWss, "wss")},
#undef RINGMQ_TRANSPORT
    {"ringmq_proxied_connections_accepted_total", MetricType::kCounter,
     "Sockets accepted on ?proxy_protocol=1 listeners (also counted by transport above).", "", "",
     "$SYS/broker/connections/accepted/proxied", SysAggregate::kSum, RINGMQ_COUNTER(accepted_proxied)},
    {"ringmq_tls_handshakes_total", MetricType::kCounter,
     "TLS handshakes completed, full or resumed (a session ticket or id accepted: SSL_session_reused).", "mode",
     "full", "$SYS/broker/tls/handshakes/full", SysAggregate::kSum, RINGMQ_COUNTER(tls_handshakes_full)},
    {"ringmq_tls_handshakes_total", MetricType::kCounter, "", "mode", "resumed", "$SYS/broker/tls/handshakes/resumed",
     SysAggregate::kSum, RINGMQ_COUNTER(tls_handshakes_resumed)},
#define RINGMQ_TLS_FAILURE(reason, name)                                                                \
  "reason", name, "$SYS/broker/tls/handshake_failures/" name, SysAggregate::kSum,                       \
      RINGMQ_COUNTER(tls_handshake_failures[static_cast<size_t>(TlsFailure::reason)]), 1,                 \
      "$SYS/broker/tls/handshake_failures"
    {"ringmq_tls_handshake_failures_total", MetricType::kCounter,
     "TLS handshakes that did not complete, by reason: error (refused: plain bytes on a TLS port, no shared "
     "version or cipher, a bad client certificate), abandoned (the client closed mid-handshake), timeout "
     "(--connect_timeout passed mid-handshake).",
     RINGMQ_TLS_FAILURE(kError, "error")},
    {"ringmq_tls_handshake_failures_total", MetricType::kCounter, "", RINGMQ_TLS_FAILURE(kAbandoned, "abandoned")},
    {"ringmq_tls_handshake_failures_total", MetricType::kCounter, "", RINGMQ_TLS_FAILURE(kTimeout, "timeout")},
#undef RINGMQ_TLS_FAILURE
    {"ringmq_websocket_upgrades_refused_total", MetricType::kCounter,
     "WebSocket upgrade requests refused (wrong path, not an upgrade, no mqtt subprotocol, too large).", "", "",
     "$SYS/broker/websocket/upgrades_refused", SysAggregate::kSum, RINGMQ_COUNTER(ws_upgrades_refused)},
    {"ringmq_proxy_headers_refused_total", MetricType::kCounter,
     "Connections closed for a missing or malformed PROXY protocol header on a ?proxy_protocol=1 listener.", "", "",
     "$SYS/broker/proxy/headers_refused", SysAggregate::kSum, RINGMQ_COUNTER(proxy_headers_refused)},
    {"ringmq_persistence_commits_total", MetricType::kCounter,
     "Group commits (append + fdatasync) the shard's --data_dir log made durable.", "", "",
     "$SYS/broker/persistence/commits", SysAggregate::kSum, RINGMQ_COUNTER(persistence_commits)},
    {"ringmq_persistence_records_written_total", MetricType::kCounter,
     "Records (retained messages' and persistent sessions' puts and deletes) written to the shard's log by those commits.", "", "",
     "$SYS/broker/persistence/records_written", SysAggregate::kSum, RINGMQ_COUNTER(persistence_records)},
    {"ringmq_persistence_written_bytes_total", MetricType::kCounter, "Bytes appended to the shard's log by commits.",
     "", "", "$SYS/broker/persistence/bytes_written", SysAggregate::kSum, RINGMQ_COUNTER(persistence_bytes)},
    {"ringmq_persistence_compactions_total", MetricType::kCounter, "Compactions of the shard's log finished.", "", "",
     "$SYS/broker/persistence/compactions", SysAggregate::kSum, RINGMQ_COUNTER(persistence_compactions)},
    {"ringmq_persistence_log_bytes", MetricType::kGauge,
     "Size of the shard's log file on disk, after the last commit or compaction (sampled every 250 ms).", "", "",
     "$SYS/broker/persistence/log_bytes", SysAggregate::kSum, RINGMQ_COUNTER(persistence_log_bytes)},
    {"ringmq_persistence_recovery_dropped_bytes", MetricType::kGauge,
     "Bytes cut off the shard's log at start-up: a torn or corrupt record and everything after it.", "", "",
     "$SYS/broker/persistence/recovery_dropped_bytes", SysAggregate::kSum,
     RINGMQ_COUNTER(persistence_recovery_dropped_bytes)},
#define RINGMQ_LATENCY_BUCKET(i, le)                                                                    \
  {"ringmq_persistence_commit_seconds", MetricType::kHistogram, "", "le", le, "", SysAggregate::kNone,   \
   RINGMQ_COUNTER(commit_latency_buckets[i]), 1, "", "_bucket"}
    {"ringmq_persistence_commit_seconds", MetricType::kHistogram,
     "Time a group commit took on the shard's writer thread: append and fdatasync (retries included).", "le",
     "0.0005", "", SysAggregate::kNone, RINGMQ_COUNTER(commit_latency_buckets[0]), 1, "", "_bucket"},
    RINGMQ_LATENCY_BUCKET(1, "0.001"),
    RINGMQ_LATENCY_BUCKET(2, "0.0025"),
    RINGMQ_LATENCY_BUCKET(3, "0.005"),
    RINGMQ_LATENCY_BUCKET(4, "0.01"),
    RINGMQ_LATENCY_BUCKET(5, "0.025"),
    RINGMQ_LATENCY_BUCKET(6, "0.05"),
    RINGMQ_LATENCY_BUCKET(7, "0.1"),
    RINGMQ_LATENCY_BUCKET(8, "0.25"),
    RINGMQ_LATENCY_BUCKET(9, "0.5"),
    RINGMQ_LATENCY_BUCKET(10, "0.75"),
    RINGMQ_LATENCY_BUCKET(11, "1"),
    RINGMQ_LATENCY_BUCKET(12, "+Inf"),
#undef RINGMQ_LATENCY_BUCKET
    {"ringmq_persistence_commit_seconds", MetricType::kHistogram, "", "", "", "", SysAggregate::kNone,
     RINGMQ_COUNTER(commit_latency_sum_ns), kNanosecondsToSeconds, "", "_sum"},
    {"ringmq_persistence_commit_seconds", MetricType::kHistogram, "", "", "", "", SysAggregate::kNone,
     RINGMQ_COUNTER(commit_latency_buckets[kCommitLatencyBuckets]), 1, "", "_count"},
};

#undef RINGMQ_COUNTER

MetricFamily Family(std::string_view name, MetricType type, std::string_view help) {
  MetricFamily family;
  family.name = std::string(name);
  family.type = type;
  family.help = std::string(help);
  return family;
}

MetricFamily Single(std::string_view name, MetricType type, std::string_view help,
                    std::variant<uint64_t, int64_t, double> value) {
  MetricFamily family = Family(name, type, help);
  family.samples.push_back({{}, value});
  return family;
}

void AppendShardFamilies(std::span<const ShardStats> all_stats, std::vector<MetricFamily>& out) {
  for (const ShardMetric& metric : kShardMetrics) {
    if (out.empty() || out.back().name != metric.name) out.push_back(Family(metric.name, metric.type, metric.help));
    for (size_t shard = 0; shard < all_stats.size(); ++shard) {
      MetricSample sample;
      sample.name_suffix = metric.sample_suffix;
      sample.labels.push_back({"shard", absl::StrCat(shard)});
      if (!metric.label_name.empty()) {
        sample.labels.push_back({std::string(metric.label_name), std::string(metric.label_value)});
      }
      const uint64_t count = metric.counter(all_stats[shard]).Get();
      if (metric.scale == 1) {
        sample.value = count;
      } else {
        sample.value = static_cast<double>(count) * metric.scale;
      }
      out.back().samples.push_back(std::move(sample));
    }
  }
}

struct ProcessFigures {
  double cpu_seconds = 0;
  uint64_t resident_bytes = 0;
};

ProcessFigures ReadProcessFigures() {
  ProcessFigures figures;
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    figures.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                          static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
  }
  if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
    unsigned long pages = 0, resident = 0;
    if (std::fscanf(statm, "%lu %lu", &pages, &resident) == 2) {
      figures.resident_bytes = static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    }
    std::fclose(statm);
  }
  return figures;
}

void AppendBrokerFamilies(std::span<const ShardStats> all_stats, const BrokerShared& shared, const BuildInfo& build,
                          int64_t now_ms, std::vector<MetricFamily>& out) {
  out.push_back(Single("ringmq_connections_open", MetricType::kGauge,
                       "Sockets open broker-wide, counted against --max_connections.",
                       shared.open_connections.load(std::memory_order_relaxed)));
  out.push_back(Single("ringmq_sessions_offline", MetricType::kGauge,
                       "Sessions kept while their client is away, counted against --max_sessions.",
                       shared.offline_sessions.load(std::memory_order_relaxed)));
  out.push_back(Single("ringmq_shards", MetricType::kGauge, "Shards (event-loop threads) of the broker.",
                       static_cast<uint64_t>(all_stats.size())));
  out.push_back(Single("ringmq_uptime_seconds", MetricType::kGauge, "Seconds since the broker started.",
                       static_cast<double>(now_ms - shared.start_ms) / 1000.0));
  MetricFamily info = Family("ringmq_build_info", MetricType::kGauge,
                             "Always 1; the labels say which ringmq is running.");
  info.samples.push_back({{{"version", build.version}, {"revision", build.revision}}, uint64_t{1}});
  out.push_back(std::move(info));
  const ProcessFigures process = ReadProcessFigures();
  out.push_back(Single("process_cpu_seconds_total", MetricType::kCounter,
                       "User and system CPU time of the broker process, in seconds.", process.cpu_seconds));
  out.push_back(Single("process_resident_memory_bytes", MetricType::kGauge,
                       "Resident set size of the broker process (what --memory_limit watches).",
                       process.resident_bytes));
}

// Per --bridge_file bridge, labelled with its `connection` name (net/bridge/bridge_stats.h).
void AppendBridgeFamilies(const BrokerShared& shared, std::vector<MetricFamily>& out) {
  const std::vector<const BridgeStats*> bridges = shared.bridges.Stats();
  if (bridges.empty()) return;
  struct BridgeFamily {
    std::string_view name;
    MetricType type;
    std::string_view help;
    uint64_t (*value)(const BridgeStats&);
  };
  static constexpr BridgeFamily kFamilies[] = {
      {"ringmq_bridge_connected", MetricType::kGauge, "1 while the remote broker has accepted the bridge, else 0.",
       [](const BridgeStats& s) { return static_cast<uint64_t>(s.connected.load(std::memory_order_relaxed)); }},
      {"ringmq_bridge_reconnects_total", MetricType::kCounter,
       "Connection attempts of the bridge after its first (a remote outage, a refused login, a lost link).",
       [](const BridgeStats& s) { return s.reconnects.load(std::memory_order_relaxed); }},
      {"ringmq_bridge_messages_in_total", MetricType::kCounter,
       "PUBLISHes the bridge received from the remote broker and published locally.",
       [](const BridgeStats& s) { return s.messages_in.load(std::memory_order_relaxed); }},
      {"ringmq_bridge_messages_out_total", MetricType::kCounter,
       "PUBLISHes the bridge sent to the remote broker (resends after a reconnect included).",
       [](const BridgeStats& s) { return s.messages_out.load(std::memory_order_relaxed); }},
  };
  for (const BridgeFamily& spec : kFamilies) {
    MetricFamily family = Family(std::string(spec.name), spec.type, std::string(spec.help));
    for (const BridgeStats* bridge : bridges) {
      family.samples.push_back({{{"bridge", bridge->name}}, spec.value(*bridge)});
    }
    out.push_back(std::move(family));
  }
}

}  // namespace

std::span<const ShardMetric> ShardMetrics() { return kShardMetrics; }

std::vector<std::pair<std::string_view, uint64_t>> SysTopicValues(std::span<const ShardStats> all_stats,
                                                                  int own_shard) {
  std::vector<std::pair<std::string_view, uint64_t>> values;
  for (const ShardMetric& metric : kShardMetrics) {
    if (metric.sys == SysAggregate::kNone) continue;
    uint64_t value = 0;
    if (metric.sys == SysAggregate::kOwnShard) {
      value = metric.counter(all_stats[static_cast<size_t>(own_shard)]).Get();
    } else {
      for (const ShardStats& stats : all_stats) value += metric.counter(stats).Get();
    }
    for (std::string_view topic : {metric.sys_topic, metric.sys_total_topic}) {
      if (topic.empty()) continue;
      auto same_topic = [topic](const auto& entry) { return entry.first == topic; };
      if (auto it = std::find_if(values.begin(), values.end(), same_topic); it != values.end()) {
        it->second += value;
      } else {
        values.emplace_back(topic, value);
      }
    }
  }
  return values;
}

std::vector<MetricFamily> CollectMetrics(std::span<const ShardStats> all_stats, const BrokerShared& shared,
                                         const BuildInfo& build, int64_t now_ms) {
  std::vector<MetricFamily> families;
  AppendShardFamilies(all_stats, families);
  AppendBrokerFamilies(all_stats, shared, build, now_ms, families);
  AppendBridgeFamilies(shared, families);
  return families;
}

}  // namespace ringmq
