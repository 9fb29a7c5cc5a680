#include "net/transport/transform_chain.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace ringmq {
namespace {

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// XORs every byte with a key both ways; its closing form is one byte 'X' (before XOR).
class XorTransform : public StreamTransform {
 public:
  explicit XorTransform(uint8_t key) : key_(key) {}
  absl::Status Receive(std::span<const uint8_t> in, TransformSinks sinks) override {
    for (uint8_t byte : in) sinks.up.push_back(static_cast<char>(byte ^ key_));
    return absl::OkStatus();
  }
  absl::Status Send(std::span<const uint8_t> in, std::string& down) override {
    for (uint8_t byte : in) down.push_back(static_cast<char>(byte ^ key_));
    return absl::OkStatus();
  }
  void Close(std::string& down) override { down.push_back(static_cast<char>('X' ^ key_)); }
  bool established() const override { return true; }
  void ReleaseIdleBuffers() override { ++released; }
  std::string_view name() const override { return "xor"; }
  int released = 0;

 private:
  uint8_t key_;
};

// Wants "HEL" from the peer (in any pieces), answers "OK!", then passes bytes through. A wrong
// handshake byte is an error whose answer "NO" must still reach the wire. "BYE" from the peer after
// the handshake means the peer closed this layer.
class HandshakeTransform : public StreamTransform {
 public:
  absl::Status Receive(std::span<const uint8_t> in, TransformSinks sinks) override {
    for (uint8_t byte : in) {
      if (seen_ < 3) {
        if (byte != "HEL"[seen_]) {
          sinks.down.append("NO");
          return absl::InvalidArgumentError("bad handshake");
        }
        if (++seen_ == 3) sinks.down.append("OK!");
        continue;
      }
      sinks.up.push_back(static_cast<char>(byte));
    }
    if (sinks.up.ends_with("BYE")) closed_ = true;
    return absl::OkStatus();
  }
  absl::Status Send(std::span<const uint8_t> in, std::string& down) override {
    if (!established()) return absl::FailedPreconditionError("send before handshake");
    down.append("[").append(reinterpret_cast<const char*>(in.data()), in.size()).append("]");
    return absl::OkStatus();
  }
  void Close(std::string& down) override { down.append("<close>"); }
  bool established() const override { return seen_ == 3; }
  bool peer_closed() const override { return closed_; }
  std::optional<std::string> client_identity() const override {
    return established() ? std::optional<std::string>("device-7") : std::nullopt;
  }
  std::string_view name() const override { return "hs"; }

 private:
  int seen_ = 0;
  bool closed_ = false;
};

class PeerTransform : public XorTransform {
 public:
  PeerTransform() : XorTransform(0) {}
  std::optional<ProxiedPeer> proxied_peer() const override { return ProxiedPeer{"203.0.113.9", 4242, {}}; }
  std::string_view name() const override { return "peer"; }
};

std::string Xor(std::string_view text, uint8_t key) {
  std::string out;
  for (char c : text) out.push_back(static_cast<char>(c ^ key));
  return out;
}

TEST(TransformChainTest, ReceiveRunsBottomToTopAndRepliesAreEncodedBelow) {
  TransformChain chain;
  ASSERT_TRUE(chain.Add(std::make_unique<XorTransform>(0x5a)).ok());
  ASSERT_TRUE(chain.Add(std::make_unique<HandshakeTransform>()).ok());
  EXPECT_EQ(chain.name(), "xor+hs");
  EXPECT_FALSE(chain.established());

  std::string up, down;
  // The handshake in two pieces, the second followed by MQTT bytes.
  ASSERT_TRUE(chain.Receive(Bytes(Xor("HE", 0x5a)), {up, down}).ok());
  EXPECT_TRUE(up.empty());
  EXPECT_TRUE(down.empty());
  EXPECT_FALSE(chain.established());
  ASSERT_TRUE(chain.Receive(Bytes(Xor("L\x10\x02", 0x5a)), {up, down}).ok());
  EXPECT_TRUE(chain.established());
  EXPECT_EQ(up, "\x10\x02");
  // The upper layer's answer went through the XOR layer on its way to the wire.
  EXPECT_EQ(down, Xor("OK!", 0x5a));
  EXPECT_EQ(chain.client_identity(), "device-7");
  EXPECT_FALSE(chain.proxied_peer().has_value());
}

TEST(TransformChainTest, SendRunsTopToBottomAndAppends) {
  TransformChain chain;
  ASSERT_TRUE(chain.Add(std::make_unique<XorTransform>(0x01)).ok());
  ASSERT_TRUE(chain.Add(std::make_unique<HandshakeTransform>()).ok());
  std::string up, down;
  ASSERT_TRUE(chain.Receive(Bytes(Xor("HEL", 0x01)), {up, down}).ok());
  down.clear();
  std::string wire = "kept";
  ASSERT_TRUE(chain.Send(Bytes("ab"), wire).ok());
  ASSERT_TRUE(chain.Send(Bytes("c"), wire).ok());
  EXPECT_EQ(wire, "kept" + Xor("[ab]", 0x01) + Xor("[c]", 0x01));
}

TEST(TransformChainTest, ThreeLayersCompose) {
  TransformChain chain;
  ASSERT_TRUE(chain.Add(std::make_unique<PeerTransform>()).ok());
  ASSERT_TRUE(chain.Add(std::make_unique<XorTransform>(0x22)).ok());
  ASSERT_TRUE(chain.Add(std::make_unique<HandshakeTransform>()).ok());
  EXPECT_FALSE(chain.Add(std::make_unique<XorTransform>(1)).ok());  // at most three
  EXPECT_EQ(chain.name(), "peer+xor+hs");
  std::string up, down;
  ASSERT_TRUE(chain.Receive(Bytes(Xor("HELmqtt", 0x22)), {up, down}).ok());
  EXPECT_EQ(up, "mqtt");
  EXPECT_EQ(down, Xor("OK!", 0x22));
  ASSERT_TRUE(chain.proxied_peer().has_value());
  EXPECT_EQ(chain.proxied_peer()->address, "203.0.113.9");
  // Close: the top layer's closing form (its own wire form) goes through the layers below it, then
  // each lower layer adds its own.
  std::string closing;
  chain.Close(closing);
  EXPECT_EQ(closing, Xor("<close>", 0x22) + Xor("X", 0x22) + "X");
}

TEST(TransformChainTest, ErrorStillDeliversTheAnswerBelow) {
  TransformChain chain;
  ASSERT_TRUE(chain.Add(std::make_unique<XorTransform>(0x7f)).ok());
  ASSERT_TRUE(chain.Add(std::make_unique<HandshakeTransform>()).ok());
  std::string up, down;
  absl::Status status = chain.Receive(Bytes(Xor("HX", 0x7f)), {up, down});
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "bad handshake");
  EXPECT_EQ(down, Xor("NO", 0x7f));
  EXPECT_TRUE(up.empty());
}

TEST(TransformChainTest, CloseBeforeHandshakeSkipsLayersThatCannotBeCarried) {
  TransformChain chain;
  ASSERT_TRUE(chain.Add(std::make_unique<HandshakeTransform>()).ok());
  ASSERT_TRUE(chain.Add(std::make_unique<XorTransform>(0x01)).ok());
  std::string closing;
  chain.Close(closing);
  // The XOR layer's close cannot go through an unfinished handshake; the handshake layer's own can.
  EXPECT_EQ(closing, "<close>");
}

TEST(TransformChainTest, PeerClosedAndIdleRelease) {
  auto xor_layer = std::make_unique<XorTransform>(0);
  XorTransform* xor_raw = xor_layer.get();
  TransformChain chain;
  ASSERT_TRUE(chain.Add(std::move(xor_layer)).ok());
  ASSERT_TRUE(chain.Add(std::make_unique<HandshakeTransform>()).ok());
  std::string up, down;
  ASSERT_TRUE(chain.Receive(Bytes("HELdataBYE"), {up, down}).ok());
  EXPECT_EQ(up, "dataBYE");
  EXPECT_TRUE(chain.peer_closed());
  chain.ReleaseIdleBuffers();
  EXPECT_EQ(xor_raw->released, 1);
  // Still usable after releasing its scratch buffers.
  std::string wire;
  ASSERT_TRUE(chain.Send(Bytes("z"), wire).ok());
  EXPECT_EQ(wire, "[z]");
}

// A handshake layer with a name of its own that, like TLS, says once established whether it resumed.
class NamedHandshake : public HandshakeTransform {
 public:
  explicit NamedHandshake(std::string_view name) : name_(name) {}
  std::string_view name() const override { return name_; }
  std::optional<bool> tls_session_resumed() const override {
    return established() ? std::optional<bool>(true) : std::nullopt;
  }

 private:
  std::string_view name_;
};

TEST(TransformChainTest, PendingLayerIsTheLowestStillInItsHandshake) {
  TransformChain chain;
  ASSERT_TRUE(chain.Add(std::make_unique<XorTransform>(0)).ok());
  ASSERT_TRUE(chain.Add(std::make_unique<NamedHandshake>("low")).ok());
  ASSERT_TRUE(chain.Add(std::make_unique<HandshakeTransform>()).ok());
  EXPECT_EQ(chain.pending_layer(), "low");
  EXPECT_EQ(chain.tls_session_resumed(), std::nullopt);
  std::string up, down;
  ASSERT_TRUE(chain.Receive(Bytes("HEL"), {up, down}).ok());
  EXPECT_EQ(chain.pending_layer(), "hs");  // the low layer is done, the top one still waits
  EXPECT_EQ(chain.tls_session_resumed(), std::optional<bool>(true));
  // The top layer's handshake fails: it is the pending one, the layer an error is blamed on.
  EXPECT_FALSE(chain.Receive(Bytes("HX"), {up, down}).ok());
  EXPECT_EQ(chain.pending_layer(), "hs");
  TransformChain done;
  ASSERT_TRUE(done.Add(std::make_unique<XorTransform>(0)).ok());
  EXPECT_EQ(done.pending_layer(), "");
}

}  // namespace
}  // namespace ringmq
