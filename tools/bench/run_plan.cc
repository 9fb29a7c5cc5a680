#include "tools/bench/run_plan.h"

#include "absl/strings/str_cat.h"
#include "tools/bench/credential_template.h"
#include "tools/bench/topic_template.h"

namespace ringmq::bench {
namespace {

// Appends the next connection of the plan, with its thread and client id filled in.
ClientPlan& AddClient(const BenchConfig& config, std::string_view client_id_prefix, RunPlan& plan) {
  ClientPlan& client = plan.clients.emplace_back();
  client.connection_index = static_cast<uint32_t>(plan.clients.size() - 1);
  client.thread_index = client.connection_index % config.threads;
  client.client_id = absl::StrCat(std::string(client_id_prefix), client.connection_index);
  if (config.username.has_value()) client.username = ExpandCredential(*config.username, client.connection_index);
  if (config.password.has_value()) client.password = ExpandCredential(*config.password, client.connection_index);
  return client;
}

// Subscriber k: on the subscriber threads when there are any (so publishers that never wait
// cannot take their loop turns), else among the publishers like any connection.
ClientPlan& AddSubscriber(const BenchConfig& config, std::string_view prefix, uint32_t k, RunPlan& plan) {
  ClientPlan& client = AddClient(config, prefix, plan);
  if (config.subscriber_threads > 0) client.thread_index = config.threads + k % config.subscriber_threads;
  return client;
}

void AddPublishers(const BenchConfig& config, std::string_view prefix, const TopicTemplate& topic,
                   uint32_t count, RunPlan& plan) {
  for (uint32_t k = 0; k < count; ++k) {
    ClientPlan& client = AddClient(config, prefix, plan);
    client.publisher_index = k;
    client.publish_topic = topic.Expand(k, client.thread_index);
  }
  plan.publisher_count = count;
}

void AddSubscribers(const BenchConfig& config, std::string_view prefix, const TopicTemplate& filter,
                    uint32_t count, RunPlan& plan) {
  for (uint32_t k = 0; k < count; ++k) {
    ClientPlan& client = AddSubscriber(config, prefix, k, plan);
    client.subscribe_filter = filter.Expand(k, client.thread_index);
  }
  plan.subscriber_count = count;
}

absl::StatusOr<TopicTemplate> ParseTemplate(std::string_view text, bool publish) {
  absl::StatusOr<TopicTemplate> parsed = TopicTemplate::Parse(text);
  if (parsed.ok() && publish && parsed->has_wildcard()) {
    return absl::InvalidArgumentError(absl::StrCat("a publish topic cannot contain + or #: ", std::string(text)));
  }
  return parsed;
}

}  // namespace

absl::StatusOr<RunPlan> BuildRunPlan(const BenchConfig& config) {
  RunPlan plan;
  const std::string_view client_id_prefix = config.client_id_prefix;
  const uint32_t n = config.clients;
  const std::string root = config.topic_prefix;
  switch (config.scenario) {
    case Scenario::kPairs: {
      absl::StatusOr<TopicTemplate> topic = ParseTemplate(absl::StrCat(root, "/pairs/%i"), true);
      if (!topic.ok()) return topic.status();
      AddPublishers(config, client_id_prefix, *topic, n, plan);
      AddSubscribers(config, client_id_prefix, *topic, n, plan);
      for (uint32_t k = 0; k < n; ++k) {
        plan.clients[n + k].expected_publishers_begin = k;
        plan.clients[n + k].expected_publishers_end = k + 1;
      }
      plan.receivers_per_publisher = 1;
      break;
    }
    case Scenario::kFanin: {
      absl::StatusOr<TopicTemplate> topic = ParseTemplate(absl::StrCat(root, "/fanin/%i"), true);
      absl::StatusOr<TopicTemplate> filter = ParseTemplate(absl::StrCat(root, "/fanin/+"), false);
      if (!topic.ok() || !filter.ok()) return topic.ok() ? filter.status() : topic.status();
      AddPublishers(config, client_id_prefix, *topic, n, plan);
      AddSubscribers(config, client_id_prefix, *filter, 1, plan);
      plan.clients[n].expected_publishers_end = n;
      plan.receivers_per_publisher = 1;
      break;
    }
    case Scenario::kFanout: {
      absl::StatusOr<TopicTemplate> topic = ParseTemplate(absl::StrCat(root, "/fanout"), true);
      if (!topic.ok()) return topic.status();
      AddPublishers(config, client_id_prefix, *topic, 1, plan);
      AddSubscribers(config, client_id_prefix, *topic, n, plan);
      for (uint32_t k = 1; k <= n; ++k) plan.clients[k].expected_publishers_end = 1;
      plan.receivers_per_publisher = n;
      break;
    }
    case Scenario::kConn:
      for (uint32_t k = 0; k < n; ++k) AddClient(config, client_id_prefix, plan);
      break;
    case Scenario::kPub: {
      const std::string text = config.topic.empty() ? absl::StrCat(root, "/pub/%i") : config.topic;
      absl::StatusOr<TopicTemplate> topic = ParseTemplate(text, true);
      if (!topic.ok()) return topic.status();
      AddPublishers(config, client_id_prefix, *topic, n, plan);
      break;
    }
    case Scenario::kSub: {
      const std::string text = config.topic.empty() ? absl::StrCat(root, "/pub/+") : config.topic;
      absl::StatusOr<TopicTemplate> filter = ParseTemplate(text, false);
      if (!filter.ok()) return filter.status();
      AddSubscribers(config, client_id_prefix, *filter, n, plan);
      break;
    }
  }
  return plan;
}

}  // namespace ringmq::bench
