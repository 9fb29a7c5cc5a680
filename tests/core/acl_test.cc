#include "core/acl.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_split.h"
#include "core/topic.h"

namespace ringmq {
namespace {

using ::testing::TestWithParam;

AclFile MustParse(std::string_view text) {
  absl::StatusOr<AclFile> acl = AclFile::Parse(text);
  EXPECT_TRUE(acl.ok()) << acl.status();
  return acl.ok() ? *std::move(acl) : *AclFile::Parse("");
}

std::string ParseError(std::string_view text) {
  absl::StatusOr<AclFile> acl = AclFile::Parse(text);
  return acl.ok() ? "(parsed)" : std::string(acl.status().message());
}

// A client: nullopt username = anonymous. Owns the strings its binding views.
struct Client {
  std::optional<std::string> username;
  std::string client_id;
  AclBinding Bind(const AclFile& acl) const {
    return acl.Bind(username ? std::optional<std::string_view>(*username) : std::nullopt, client_id);
  }
};

constexpr std::string_view kFleetAcl = R"(
# anonymous clients: public status only
topic read public/#

user alice
topic readwrite fleet/eu/#
topic deny fleet/eu/secret/#
topic write cmd/alice

user bob
topic read fleet/+/status
topic $SYS/broker/#

# every device: its own subtree
pattern readwrite devices/%c/#
pattern read users/%u/inbox
pattern write users/%u/outbox/%c
pattern deny devices/%c/locked
)";

struct Expect {
  Client client;
  std::string_view topic;
  bool publish;
  bool receive;
};

class AclMatrix : public TestWithParam<Expect> {};

TEST_P(AclMatrix, PublishAndReceive) {
  static const AclFile acl = MustParse(kFleetAcl);
  const Expect& e = GetParam();
  const AclBinding binding = e.client.Bind(acl);
  EXPECT_EQ(acl.MayPublish(binding, e.topic), e.publish) << e.topic;
  EXPECT_EQ(acl.MayReceive(binding, e.topic), e.receive) << e.topic;
}

const Client kAnonymous{std::nullopt, "anon-1"};
const Client kAlice{"alice", "dev-a"};
const Client kBob{"bob", "dev-b"};
const Client kCarol{"carol", "dev-c"};  // no user section: patterns only

INSTANTIATE_TEST_SUITE_P(
    Fleet, AclMatrix,
    testing::Values(
        // anonymous section
        Expect{kAnonymous, "public/news", false, true}, Expect{kAnonymous, "public", false, true},
        Expect{kAnonymous, "fleet/eu/x", false, false},
        // alice: readwrite, deny wins inside it, write only
        Expect{kAlice, "fleet/eu/d1/telemetry", true, true}, Expect{kAlice, "fleet/eu", true, true},
        Expect{kAlice, "fleet/eu/secret", false, false}, Expect{kAlice, "fleet/eu/secret/k", false, false},
        Expect{kAlice, "fleet/us/d1/telemetry", false, false}, Expect{kAlice, "cmd/alice", true, false},
        Expect{kAlice, "public/news", false, false},  // the anonymous section is not hers
        // bob: read with +, `$` rule, and `%u` patterns
        Expect{kBob, "fleet/us/status", false, true}, Expect{kBob, "fleet/us/status/x", false, false},
        Expect{kBob, "$SYS/broker/uptime", true, true}, Expect{kBob, "$SYS/other", false, false},
        Expect{kBob, "users/bob/inbox", false, true}, Expect{kBob, "users/alice/inbox", false, false},
        Expect{kBob, "users/bob/outbox/dev-b", true, false}, Expect{kBob, "users/bob/outbox/dev-a", false, false},
        // patterns with %c for everyone, deny pattern wins
        Expect{kCarol, "devices/dev-c/t", true, true}, Expect{kCarol, "devices/dev-c", true, true},
        Expect{kCarol, "devices/dev-a/t", false, false}, Expect{kCarol, "devices/dev-c/locked", false, false},
        Expect{kAnonymous, "devices/anon-1/t", true, true},
        // %u patterns are skipped without a username
        Expect{Client{std::nullopt, "x"}, "users//inbox", false, false},
        // default deny
        Expect{kCarol, "anything/else", false, false}));

TEST(Acl, PatternDenyBeatsUserGrant) {
  const AclFile acl = MustParse("user alice\ntopic devices/#\npattern deny devices/%c/locked\n");
  const Client binding_client{"alice", "d1"};  // owns the names the binding views
  const AclBinding binding = binding_client.Bind(acl);
  EXPECT_TRUE(acl.MayPublish(binding, "devices/d1/open"));
  EXPECT_FALSE(acl.MayPublish(binding, "devices/d1/locked"));
  EXPECT_FALSE(acl.MayReceive(binding, "devices/d1/locked"));
  EXPECT_TRUE(acl.MayPublish(binding, "devices/d2/locked"));
}

TEST(Acl, DenyListedAfterTheGrantStillWins) {
  const AclFile acl = MustParse("topic deny a/b\ntopic a/#\n");
  const Client binding_client{std::nullopt, "c"};  // owns the names the binding views
  const AclBinding binding = binding_client.Bind(acl);
  EXPECT_FALSE(acl.MayPublish(binding, "a/b"));
  EXPECT_TRUE(acl.MayPublish(binding, "a/c"));
}

TEST(Acl, DollarTopicsNeedADollarRule) {
  const AclFile acl = MustParse("topic #\ntopic +/x\npattern %c/#\ntopic read $SYS/#\n");
  const Client binding_client{std::nullopt, "$SYS"};  // owns the names the binding views
  const AclBinding binding = binding_client.Bind(acl);
  EXPECT_TRUE(acl.MayPublish(binding, "a/x"));
  EXPECT_FALSE(acl.MayPublish(binding, "$SYS/x"));  // neither `#`, `+/x` nor `%c/#` with id "$SYS"
  EXPECT_TRUE(acl.MayReceive(binding, "$SYS/x"));
  EXPECT_FALSE(acl.MayReceive(binding, "$other/x"));
}

TEST(Acl, WildcardsInNamesRefuseEverythingWhenPatternsExist) {
  const AclFile with_patterns = MustParse("topic #\nuser u+\ntopic #\npattern devices/%c/#\n");
  EXPECT_FALSE(with_patterns.MayPublish(Client{std::nullopt, "d+"}.Bind(with_patterns), "a"));
  EXPECT_FALSE(with_patterns.MayPublish(Client{std::nullopt, "d#"}.Bind(with_patterns), "devices/d#/x"));
  EXPECT_FALSE(with_patterns.MayReceive(Client{"u+", "d"}.Bind(with_patterns), "a"));
  EXPECT_TRUE(with_patterns.MayPublish(Client{std::nullopt, "d"}.Bind(with_patterns), "a"));
  EXPECT_EQ(with_patterns.ClassifySubscription(Client{"u+", "d"}.Bind(with_patterns), "a"), SubscribeVerdict::kDenied);

  const AclFile without_patterns = MustParse("topic #\nuser u+\ntopic #\n");
  EXPECT_TRUE(without_patterns.MayPublish(Client{std::nullopt, "d+"}.Bind(without_patterns), "a"));
  EXPECT_TRUE(without_patterns.MayPublish(Client{"u+", "d"}.Bind(without_patterns), "a"));
}

TEST(Acl, NamesLongerThanAnyMqttStringAreRefused) {
  const AclFile acl = MustParse("topic #\nuser u\ntopic #\n");
  const std::string huge(65536, 'x');
  EXPECT_FALSE(acl.MayPublish(acl.Bind(std::nullopt, huge), "a"));
  EXPECT_FALSE(acl.MayPublish(acl.Bind(huge, "c"), "a"));
  EXPECT_TRUE(acl.MayPublish(acl.Bind(std::nullopt, std::string(65535, 'x')), "a"));
}

TEST(Acl, SubstitutionIsOneWholeLevel) {
  const AclFile acl = MustParse("pattern devices/%c/#\npattern pre%c/x\n");
  // Client "a/b" does not get client "a"'s subtree devices/a/b/...
  EXPECT_FALSE(acl.MayPublish(Client{std::nullopt, "a/b"}.Bind(acl), "devices/a/b/t"));
  EXPECT_TRUE(acl.MayPublish(Client{std::nullopt, "a"}.Bind(acl), "devices/a/b/t"));
  // `%c` inside a longer level is literal text.
  EXPECT_TRUE(acl.MayPublish(Client{std::nullopt, "z"}.Bind(acl), "pre%c/x"));
  EXPECT_FALSE(acl.MayPublish(Client{std::nullopt, "z"}.Bind(acl), "prez/x"));
  // An empty client id is an empty level.
  EXPECT_TRUE(acl.MayPublish(Client{std::nullopt, ""}.Bind(acl), "devices//t"));
}

TEST(Acl, TopicLinesDoNotSubstitute) {
  const AclFile acl = MustParse("topic devices/%c\n");
  EXPECT_TRUE(acl.MayPublish(Client{std::nullopt, "d1"}.Bind(acl), "devices/%c"));
  EXPECT_FALSE(acl.MayPublish(Client{std::nullopt, "d1"}.Bind(acl), "devices/d1"));
}

TEST(Acl, UserSectionsMergeAndEmptyUsernameIsAUsername) {
  const AclFile acl = MustParse("user a\ntopic x\nuser b\ntopic y\nuser a\ntopic z\n");
  const Client a_client{"a", "c"};  // owns the names the binding views
  const AclBinding a = a_client.Bind(acl);
  EXPECT_TRUE(acl.MayPublish(a, "x"));
  EXPECT_TRUE(acl.MayPublish(a, "z"));
  EXPECT_FALSE(acl.MayPublish(a, "y"));
  EXPECT_EQ(acl.user_count(), 2u);
  EXPECT_EQ(acl.rule_count(), 3u);

  const AclFile anonymous = MustParse("topic x\n");
  EXPECT_FALSE(anonymous.MayPublish(Client{"", "c"}.Bind(anonymous), "x"));
  EXPECT_TRUE(anonymous.MayPublish(Client{std::nullopt, "c"}.Bind(anonymous), "x"));
}

TEST(Acl, DefaultDeny) {
  const AclFile empty = MustParse("# nothing\n\n");
  EXPECT_FALSE(empty.MayPublish(Client{"u", "c"}.Bind(empty), "a"));
  EXPECT_FALSE(empty.MayReceive(Client{std::nullopt, "c"}.Bind(empty), "a"));
  EXPECT_EQ(empty.ClassifySubscription(Client{"u", "c"}.Bind(empty), "#"), SubscribeVerdict::kDenied);
  const AclFile acl = MustParse("topic a\n");
  EXPECT_FALSE(acl.MayPublish(AclBinding(), "a"));  // a default binding refuses
}

TEST(AclParse, Syntax) {
  const AclFile acl = MustParse(
      "  # indented comment\r\n"
      "\t\n"
      "topic   read    a b/c  \r\n"  // the filter is the rest of the line: "a b/c"
      "topic write\tw/x\n"
      "topic readwrite rw\n"
      "topic deny rw/no\n"
      "topic plain/topic\n"
      "topic readers/club\n"  // a first word that is not an access keyword belongs to the filter
      "user  some one  \n"
      "topic s");
  const Client anonymous_client{std::nullopt, "c"};  // owns the names the binding views
  const AclBinding anonymous = anonymous_client.Bind(acl);
  EXPECT_TRUE(acl.MayReceive(anonymous, "a b/c"));
  EXPECT_FALSE(acl.MayPublish(anonymous, "a b/c"));
  EXPECT_TRUE(acl.MayPublish(anonymous, "w/x"));
  EXPECT_FALSE(acl.MayReceive(anonymous, "w/x"));
  EXPECT_TRUE(acl.MayPublish(anonymous, "rw"));
  EXPECT_TRUE(acl.MayReceive(anonymous, "rw"));
  EXPECT_TRUE(acl.MayPublish(anonymous, "plain/topic"));
  EXPECT_TRUE(acl.MayReceive(anonymous, "plain/topic"));
  EXPECT_TRUE(acl.MayReceive(anonymous, "readers/club"));
  EXPECT_TRUE(acl.MayPublish(Client{"some one", "c"}.Bind(acl), "s"));
}

TEST(AclParse, ErrorsNameTheLine) {
  EXPECT_EQ(ParseError("topic a\n\ntopc b\n"), "line 3: unknown keyword 'topc'");
  EXPECT_EQ(ParseError("topic a/#/b"), "line 1: invalid topic filter 'a/#/b'");
  EXPECT_EQ(ParseError("# c\npattern read a+/b\n"), "line 2: invalid topic filter 'a+/b'");
  EXPECT_EQ(ParseError("topic read\n"), "line 1: 'topic' needs a topic filter");
  EXPECT_EQ(ParseError("\n\npattern\n"), "line 3: 'pattern' needs a topic filter");
  EXPECT_EQ(ParseError("user\n"), "line 1: 'user' needs a name");
  EXPECT_EQ(ParseError("topic ok\r\nUSER x\r\n"), "line 2: unknown keyword 'USER'");
  EXPECT_EQ(ParseError(std::string("topic a\n") + std::string("topic b\0c", 9)),
            std::string("line 2: invalid topic filter 'b\0c'", 34));
  EXPECT_EQ(ParseError("topic \xff\n"), "line 1: invalid topic filter '\xff'");
  std::string deep = "a";
  for (int i = 1; i < 256; ++i) deep += "/a";
  EXPECT_EQ(ParseError("topic " + deep + "\n"), "(parsed)");
  EXPECT_EQ(ParseError("topic " + deep + "/#\n"), "line 1: topic filter with more than 256 levels");
}

TEST(AclSubscribe, Verdicts) {
  static const AclFile acl = MustParse(kFleetAcl);
  struct Case {
    Client client;
    const char* filter;
    SubscribeVerdict verdict;
  };
  using V = SubscribeVerdict;
  for (const Case& c : {
           // a filter inside a grant, no deny near it
           Case{kAnonymous, "public/#", V::kGranted}, Case{kAnonymous, "public/+/x", V::kGranted},
           Case{kAnonymous, "public", V::kGranted},
           // wider than the grant
           Case{kAnonymous, "#", V::kCheckEachMessage}, Case{kAnonymous, "+/news", V::kCheckEachMessage},
           // nothing readable
           Case{kAnonymous, "fleet/#", V::kDenied}, Case{kAnonymous, "$SYS/#", V::kDenied},
           // a deny intersects the grant
           Case{kAlice, "fleet/eu/#", V::kCheckEachMessage}, Case{kAlice, "fleet/eu/+/t", V::kCheckEachMessage},
           Case{kAlice, "fleet/eu/d1/#", V::kGranted}, Case{kAlice, "fleet/eu/d1", V::kGranted},
           Case{kAlice, "fleet/+/d1", V::kCheckEachMessage},
           // covered by the deny
           Case{kAlice, "fleet/eu/secret/#", V::kDenied}, Case{kAlice, "fleet/eu/secret", V::kDenied},
           // write-only grant is not readable
           Case{kAlice, "cmd/alice", V::kDenied}, Case{kAlice, "cmd/#", V::kDenied},
           // `+` grant against `+`, `#` filters
           Case{kBob, "fleet/+/status", V::kGranted}, Case{kBob, "fleet/us/status", V::kGranted},
           Case{kBob, "fleet/#", V::kCheckEachMessage}, Case{kBob, "fleet/+/+", V::kCheckEachMessage},
           Case{kBob, "fleet/+/other", V::kDenied},
           // `$` rules: only `$` filters reach them, and `#` never reaches `$SYS`
           Case{kBob, "$SYS/broker/#", V::kGranted}, Case{kBob, "$SYS/#", V::kCheckEachMessage},
           Case{kBob, "$SYS/x", V::kDenied},
           // patterns resolved for this client; deny pattern inside the %c grant
           Case{kCarol, "devices/dev-c/t/#", V::kGranted}, Case{kCarol, "devices/dev-c/#", V::kCheckEachMessage},
           Case{kCarol, "devices/dev-c/locked", V::kDenied}, Case{kCarol, "devices/+/t", V::kCheckEachMessage},
           Case{kCarol, "devices/dev-a/#", V::kDenied}, Case{kCarol, "users/+/inbox", V::kCheckEachMessage},
           Case{kCarol, "users/carol/inbox", V::kGranted}, Case{kCarol, "users/carol/outbox/dev-c", V::kDenied},
           Case{kAnonymous, "users/+/inbox", V::kDenied},  // %u pattern skipped without username
       }) {
    EXPECT_EQ(acl.ClassifySubscription(c.client.Bind(acl), c.filter), c.verdict)
        << c.client.username.value_or("(anonymous)") << " subscribes " << c.filter;
  }
}

TEST(AclSubscribe, GrantCoveredOnlyByDenyIsDenied) {
  // Each grant's share of the filter is covered by a deny, so nothing can be delivered.
  const AclFile acl = MustParse("topic read a/+/x\ntopic read a/b/#\ntopic deny a/+/x\ntopic deny a/b/#\n");
  const Client binding_client{std::nullopt, "c"};  // owns the names the binding views
  const AclBinding binding = binding_client.Bind(acl);
  EXPECT_EQ(acl.ClassifySubscription(binding, "a/#"), SubscribeVerdict::kDenied);
  const AclFile partly = MustParse("topic read a/#\ntopic deny a/b/#\n");
  EXPECT_EQ(partly.ClassifySubscription(Client{std::nullopt, "c"}.Bind(partly), "a/#"), SubscribeVerdict::kCheckEachMessage);
  EXPECT_EQ(partly.ClassifySubscription(Client{std::nullopt, "c"}.Bind(partly), "a/c/#"), SubscribeVerdict::kGranted);
}

TEST(AclSubscribe, SubstitutedNamesThatCannotMatch) {
  const AclFile acl = MustParse("pattern read %c/#\npattern read d/%c\n");
  EXPECT_EQ(acl.ClassifySubscription(Client{std::nullopt, "a/b"}.Bind(acl), "a/b/#"), SubscribeVerdict::kDenied);
  EXPECT_EQ(acl.ClassifySubscription(Client{std::nullopt, "$x"}.Bind(acl), "$x/#"), SubscribeVerdict::kDenied);
  EXPECT_EQ(acl.ClassifySubscription(Client{std::nullopt, "$x"}.Bind(acl), "d/$x"), SubscribeVerdict::kGranted);
  EXPECT_EQ(acl.ClassifySubscription(Client{std::nullopt, "a"}.Bind(acl), "a/#"), SubscribeVerdict::kGranted);
}

TEST(Acl, ManySiblingLevelsAreBinarySearched) {
  // 300 literal children under `fleet` (more than the matcher scans linearly), some of them sharing
  // their first 8 bytes and differing only in length or in a later byte.
  std::string text;
  for (int i = 0; i < 300; ++i) text += "topic read fleet/device-" + std::to_string(i * 7) + "/#\n";
  text += "topic deny fleet/device-7/secret\n";
  const AclFile acl = MustParse(text);
  const Client binding_client{std::nullopt, "c"};  // owns the names the binding views
  const AclBinding binding = binding_client.Bind(acl);
  for (int i = 0; i < 300 * 7; ++i) {
    const std::string topic = "fleet/device-" + std::to_string(i) + "/t";
    EXPECT_EQ(acl.MayReceive(binding, topic), i % 7 == 0) << topic;
  }
  EXPECT_FALSE(acl.MayReceive(binding, "fleet/device-7/secret"));
  EXPECT_TRUE(acl.MayReceive(binding, "fleet/device-7"));
  EXPECT_FALSE(acl.MayReceive(binding, "fleet/device-"));
  EXPECT_FALSE(acl.MayReceive(binding, "fleet/device-14x/t"));
}

TEST(Acl, BindingSurvivesMovingTheFile) {
  absl::StatusOr<AclFile> parsed = AclFile::Parse("user u\ntopic a\n");
  ASSERT_TRUE(parsed.ok());
  const Client client{"u", "c"};
  const AclBinding binding = client.Bind(*parsed);
  const AclFile moved = *std::move(parsed);
  EXPECT_TRUE(moved.MayPublish(binding, "a"));
  EXPECT_LE(sizeof(AclBinding), 48u);
}

// ---- Cross-check against a straightforward evaluator ---------------------------------------------

struct RefRule {
  bool pattern = false;
  std::optional<std::string> user;  // section for topic rules; nullopt = anonymous
  std::string filter;
  uint8_t access = 0;  // 1 read, 2 write, 3 readwrite, 4 deny
};

std::vector<std::string> Split(std::string_view text) {
  return absl::StrSplit(absl::string_view(text.data(), text.size()), '/');
}

// MQTT matching, written out the obvious way on split levels.
bool RefMatches(const std::vector<std::string>& filter, const std::vector<std::string>& topic) {
  for (size_t i = 0; i < filter.size(); ++i) {
    if (filter[i] == "#") return true;
    if (i >= topic.size()) return false;
    if (filter[i] != "+" && filter[i] != topic[i]) return false;
  }
  return filter.size() == topic.size();
}

// mosquitto's evaluation, with deny winning across sections and substitution per level.
bool RefAllows(const std::vector<RefRule>& rules, const Client& client, std::string_view topic, uint8_t wanted) {
  bool has_patterns = false;
  for (const RefRule& rule : rules) has_patterns = has_patterns || rule.pattern;
  auto wild = [](std::string_view s) { return s.find_first_of("+#") != std::string_view::npos; };
  if (has_patterns && (wild(client.client_id) || (client.username && wild(*client.username)))) return false;
  const std::vector<std::string> topic_levels = Split(topic);
  bool granted = false;
  for (const RefRule& rule : rules) {
    if (!rule.pattern && rule.user != client.username) continue;
    if (topic.front() == '$' && rule.filter.front() != '$') continue;
    std::vector<std::string> levels = Split(rule.filter);
    bool skip = false;
    for (std::string& level : levels) {
      if (!rule.pattern) break;
      if (level == "%c") level = client.client_id;
      if (level == "%u") {
        if (!client.username) skip = true;
        level = client.username.value_or("");
      }
    }
    if (skip || !RefMatches(levels, topic_levels)) continue;
    if (rule.access == 4) return false;
    granted = granted || (rule.access & wanted) != 0;
  }
  return granted;
}

std::string RenderAcl(const std::vector<RefRule>& rules) {
  std::string text = "# generated\n";
  static const char* const kAccess[] = {"", "read ", "write ", "readwrite ", "deny "};
  // Anonymous topic rules first, then one section per user, patterns interleaved anywhere.
  for (const RefRule& rule : rules) {
    if (rule.pattern || !rule.user) text += std::string(rule.pattern ? "pattern " : "topic ") + kAccess[rule.access] + rule.filter + "\n";
  }
  for (const char* user : {"alice", "bob"}) {
    text += std::string("user ") + user + "\n";
    for (const RefRule& rule : rules) {
      if (!rule.pattern && rule.user == user) text += std::string("topic ") + kAccess[rule.access] + rule.filter + "\n";
    }
  }
  return text;
}

class Generator {
 public:
  explicit Generator(uint32_t seed) : random_(seed) {}

  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }

  std::string Level() {
    // Levels over 8 bytes, and ones sharing their first 8 bytes, exercise the matcher's
    // length-and-prefix keys and its tail compares.
    static const char* const kLevels[] = {"a", "b", "$s", "", "dev1", "alice", "zz", "telemetry", "telemetry1", "telemetrx"};
    return kLevels[Pick(10)];
  }

  std::string Filter(bool pattern) {
    std::string filter;
    while (filter.empty()) filter = FilterOrEmpty(pattern);
    return filter;
  }

  std::string FilterOrEmpty(bool pattern) {
    const int depth = 1 + Pick(4);
    std::string filter;
    for (int i = 0; i < depth; ++i) {
      if (i > 0) filter += '/';
      const int kind = Pick(10);
      if (kind == 0 && i == depth - 1) {
        filter += '#';
      } else if (kind == 1) {
        filter += '+';
      } else if (pattern && kind == 2) {
        filter += "%c";
      } else if (pattern && kind == 3) {
        filter += "%u";
      } else {
        filter += Level();
      }
    }
    return filter;
  }

  std::string Topic() {
    std::string topic;
    while (topic.empty()) {
      const int depth = 1 + Pick(4);
      for (int i = 0; i < depth; ++i) {
        if (i > 0) topic += '/';
        topic += Level();
      }
    }
    return topic;
  }

  // Half the time a topic one of the rules matches (wildcards filled in, names substituted), so
  // that grants and denies come up often; otherwise any topic.
  std::string TopicNear(const std::vector<RefRule>& rules, const Client& client) {
    if (Pick(2) == 0) return Topic();
    std::string topic;
    for (const std::string& level : Split(rules[Pick(static_cast<int>(rules.size()))].filter)) {
      std::string filled = level;
      if (level == "+") filled = Level();
      if (level == "%c") filled = client.client_id;
      if (level == "%u") filled = client.username.value_or("x");
      if (level == "#") {
        if (Pick(2) == 0) break;
        filled = Level();
      }
      topic += '/';
      topic += filled;
    }
    if (!topic.empty()) topic.erase(0, 1);  // the leading separator
    if (topic.empty() || topic.find_first_of("+#") != std::string::npos) return Topic();
    return topic;
  }

  std::vector<RefRule> Rules() {
    std::vector<RefRule> rules(1 + Pick(12));
    for (RefRule& rule : rules) {
      rule.pattern = Pick(3) == 0;
      const int section = Pick(3);
      if (!rule.pattern && section > 0) rule.user = section == 1 ? "alice" : "bob";
      rule.filter = Filter(rule.pattern);
      rule.access = static_cast<uint8_t>(1 + Pick(4));
    }
    return rules;
  }

  Client AnyClient() {
    static const char* const kIds[] = {"dev1", "alice", "x/y", "$s", "", "d+1", "a"};
    static const std::optional<std::string> kUsers[] = {std::nullopt, "alice", "bob", "", "carol#", "dev1"};
    return Client{kUsers[Pick(6)], kIds[Pick(7)]};
  }

 private:
  std::mt19937 random_;
};

TEST(AclCrossCheck, MatchesReferenceEvaluator) {
  Generator generate(20261206);
  int allowed = 0;
  int checks = 0;
  for (int file = 0; file < 3000; ++file) {
    const std::vector<RefRule> rules = generate.Rules();
    const std::string text = RenderAcl(rules);
    const AclFile acl = MustParse(text);
    for (int client_case = 0; client_case < 3; ++client_case) {
      const Client client = generate.AnyClient();
      const AclBinding binding = client.Bind(acl);
      for (int t = 0; t < 8; ++t) {
        const std::string topic = generate.TopicNear(rules, client);
        const bool write = acl.MayPublish(binding, topic);
        const bool read = acl.MayReceive(binding, topic);
        ASSERT_EQ(write, RefAllows(rules, client, topic, 2)) << text << "client " << client.username.value_or("(none)")
                                                             << "/" << client.client_id << " publishes " << topic;
        ASSERT_EQ(read, RefAllows(rules, client, topic, 1)) << text << "client " << client.username.value_or("(none)")
                                                            << "/" << client.client_id << " receives " << topic;
        allowed += write + read;
        checks += 2;
      }
    }
  }
  printf("allowed %d of %d\n", allowed, checks);
  // The generator must produce both answers often, or the comparison proves little.
  EXPECT_GT(allowed, checks / 20);
  EXPECT_LT(allowed, checks - checks / 20);
}

// Every topic of up to 4 levels over the generator's level alphabet (plus one level no rule names).
std::vector<std::string> AllTopics() {
  std::vector<std::string> topics;
  static const char* const kLevels[] = {"a", "b", "$s", "", "dev1", "alice", "other", "telemetry1"};
  std::vector<std::string> frontier = {""};
  for (int depth = 1; depth <= 4; ++depth) {
    std::vector<std::string> next;
    for (const std::string& prefix : frontier) {
      for (const char* level : kLevels) next.push_back(depth == 1 ? std::string(level) : prefix + "/" + level);
    }
    for (const std::string& topic : next) {
      if (!topic.empty()) topics.push_back(topic);
    }
    frontier = std::move(next);
  }
  return topics;
}

TEST(AclCrossCheck, SubscriptionVerdictsAreSound) {
  const std::vector<std::string> topics = AllTopics();
  std::vector<std::vector<std::string>> topic_levels;
  for (const std::string& topic : topics) topic_levels.push_back(Split(topic));
  Generator generate(7);
  int verdicts[3] = {0, 0, 0};
  for (int file = 0; file < 1000; ++file) {
    const std::vector<RefRule> rules = generate.Rules();
    const AclFile acl = MustParse(RenderAcl(rules));
    const Client client = generate.AnyClient();
    const AclBinding binding = client.Bind(acl);
    for (int s = 0; s < 4; ++s) {
      // A filter near a rule (wildcards kept, names substituted) or any filter.
      std::string filter = generate.Filter(/*pattern=*/false);
      if (generate.Pick(2) == 0) {
        const RefRule& rule = rules[generate.Pick(static_cast<int>(rules.size()))];
        std::string near = rule.filter;
        for (const char* name : {"%c", "%u"}) {
          for (size_t at = near.find(name); at != std::string::npos; at = near.find(name)) {
            near.replace(at, 2, name[1] == 'c' ? client.client_id : client.username.value_or("x"));
          }
        }
        if (IsValidTopicFilter(near)) filter = near;
      }
      const SubscribeVerdict verdict = acl.ClassifySubscription(binding, filter);
      ++verdicts[static_cast<int>(verdict)];
      const std::vector<std::string> filter_levels = Split(filter);
      for (size_t t = 0; t < topics.size(); ++t) {
        if (topics[t].front() == '$' && filter.front() != '$') continue;
        if (!RefMatches(filter_levels, topic_levels[t])) continue;
        const bool readable = RefAllows(rules, client, topics[t], 1);
        if (verdict == SubscribeVerdict::kDenied) {
          ASSERT_FALSE(readable) << RenderAcl(rules) << filter << " was denied but " << topics[t] << " is readable";
        }
        if (verdict == SubscribeVerdict::kGranted) {
          ASSERT_TRUE(readable) << RenderAcl(rules) << filter << " was granted but " << topics[t] << " is not readable";
        }
        ASSERT_EQ(acl.MayReceive(binding, topics[t]), readable) << topics[t];
      }
    }
  }
  printf("verdicts denied %d granted %d check %d\n", verdicts[0], verdicts[1], verdicts[2]);
  // Each verdict must come up, or this proves little.
  EXPECT_GT(verdicts[0], 100);
  EXPECT_GT(verdicts[1], 100);
  EXPECT_GT(verdicts[2], 50);
}

}  // namespace
}  // namespace ringmq
