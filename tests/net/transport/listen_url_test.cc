#include "net/transport/listen_url.h"

#include <string>

#include "gtest/gtest.h"

namespace ringmq {
namespace {

ListenUrl Parsed(std::string_view text) {
  absl::StatusOr<ListenUrl> url = ParseListenUrl(text);
  EXPECT_TRUE(url.ok()) << text << ": " << url.status();
  return url.ok() ? *url : ListenUrl{};
}

std::string ErrorOf(std::string_view text) {
  absl::StatusOr<ListenUrl> url = ParseListenUrl(text);
  EXPECT_FALSE(url.ok()) << text << " parsed as " << url->ToString();
  return url.ok() ? "" : std::string(url.status().message());
}

TEST(ListenUrlTest, BareAddressesArePlainTcp) {
  ListenUrl url = Parsed("127.0.0.1:1883");
  EXPECT_EQ(url.scheme, ListenScheme::kMqtt);
  EXPECT_EQ(url.address.host, "127.0.0.1");
  EXPECT_EQ(url.address.port, 1883);
  EXPECT_TRUE(url.plain());
  EXPECT_EQ(url.ToString(), "mqtt://127.0.0.1:1883");
  EXPECT_EQ(Parsed(":1884").address.host, "0.0.0.0");
  ListenUrl v6 = Parsed("[::1]:0");
  EXPECT_EQ(v6.address.host, "::1");
  EXPECT_EQ(v6.ToString(), "mqtt://[::1]:0");
}

TEST(ListenUrlTest, Schemes) {
  ListenUrl mqtt = Parsed("mqtt://0.0.0.0:1883");
  EXPECT_EQ(mqtt.scheme, ListenScheme::kMqtt);
  EXPECT_TRUE(mqtt.plain());

  ListenUrl mqtts = Parsed("mqtts://[::1]:8883");
  EXPECT_EQ(mqtts.scheme, ListenScheme::kMqtts);
  EXPECT_TRUE(mqtts.tls());
  EXPECT_FALSE(mqtts.websocket());
  EXPECT_EQ(mqtts.address.host, "::1");
  EXPECT_EQ(mqtts.address.port, 8883);

  ListenUrl ws = Parsed("ws://127.0.0.1:8080/mqtt");
  EXPECT_TRUE(ws.websocket());
  EXPECT_FALSE(ws.tls());
  EXPECT_EQ(ws.path, "/mqtt");
  EXPECT_EQ(ws.ToString(), "ws://127.0.0.1:8080/mqtt");

  ListenUrl wss = Parsed("wss://[::1]:8081/devices/mqtt");
  EXPECT_TRUE(wss.websocket());
  EXPECT_TRUE(wss.tls());
  EXPECT_EQ(wss.path, "/devices/mqtt");
  EXPECT_EQ(wss.address.port, 8081);

  EXPECT_EQ(Parsed("ws://127.0.0.1:8080").path, "/mqtt");  // the default path
  EXPECT_EQ(Parsed("ws://127.0.0.1:8080/").path, "/");
}

TEST(ListenUrlTest, ProxyProtocolQuery) {
  ListenUrl plain = Parsed("mqtt://127.0.0.1:1883?proxy_protocol=1");
  EXPECT_TRUE(plain.proxy_protocol);
  EXPECT_FALSE(plain.plain());
  EXPECT_EQ(plain.ToString(), "mqtt://127.0.0.1:1883?proxy_protocol=1");
  EXPECT_TRUE(Parsed("127.0.0.1:1883?proxy_protocol=1").proxy_protocol);
  EXPECT_FALSE(Parsed("127.0.0.1:1883?proxy_protocol=0").proxy_protocol);

  ListenUrl mqtts = Parsed("mqtts://127.0.0.1:8883?proxy_protocol=1");
  EXPECT_TRUE(mqtts.proxy_protocol);
  EXPECT_TRUE(mqtts.tls());
  ListenUrl ws = Parsed("ws://[::1]:8080/mqtt?proxy_protocol=1");
  EXPECT_TRUE(ws.proxy_protocol);
  EXPECT_EQ(ws.path, "/mqtt");
  ListenUrl wss = Parsed("wss://127.0.0.1:8081?proxy_protocol=1");
  EXPECT_TRUE(wss.proxy_protocol);
  EXPECT_EQ(wss.path, "/mqtt");
  EXPECT_EQ(wss.ToString(), "wss://127.0.0.1:8081/mqtt?proxy_protocol=1");
}

TEST(ListenUrlTest, BadUrlsSayWhatIsWrong) {
  EXPECT_EQ(ErrorOf("http://127.0.0.1:80"),
            "--listen 'http://127.0.0.1:80': unknown scheme 'http' (use mqtt, mqtts, ws or wss)");
  EXPECT_EQ(ErrorOf("mqtt://127.0.0.1:1883/mqtt"),
            "--listen 'mqtt://127.0.0.1:1883/mqtt': a path belongs to ws:// and wss:// listeners only, not mqtt://");
  EXPECT_EQ(ErrorOf("mqtts://127.0.0.1:8883?proxy=1"),
            "--listen 'mqtts://127.0.0.1:8883?proxy=1': unknown option 'proxy' (known: proxy_protocol=0|1)");
  EXPECT_EQ(ErrorOf("mqtt://127.0.0.1:1883?proxy_protocol=yes"),
            "--listen 'mqtt://127.0.0.1:1883?proxy_protocol=yes': proxy_protocol must be 0 or 1");
  EXPECT_EQ(ErrorOf("ws://127.0.0.1/mqtt"), "--listen 'ws://127.0.0.1/mqtt': no port (host:port, [v6]:port or :port)");
  EXPECT_EQ(ErrorOf("mqtts://"), "--listen 'mqtts://': no host:port");
  EXPECT_NE(ErrorOf("mqtt://127.0.0.1:99999").find("bad port"), std::string::npos);
  EXPECT_NE(ErrorOf("mqtt://localhost:1883").find("not a numeric IPv4/IPv6 address: localhost"), std::string::npos);
  EXPECT_NE(ErrorOf("wss://[::1:8883/mqtt").find("--listen 'wss://[::1:8883/mqtt'"), std::string::npos);
}

}  // namespace
}  // namespace ringmq
