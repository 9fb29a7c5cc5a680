#include "net/transport/tls_transform.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/net/transport/memory_tls_client.h"
#include "tests/net/transport/test_pki.h"

namespace ringmq {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::Bytes;
using testing::Exchange;
using testing::MemoryTlsClient;
using testing::NewClientContext;
using testing::ServerSend;
using testing::SslCtxPtr;
using testing::TestPki;

// The first bytes of an MQTT 3.1.1 CONNECT, as a client that forgot TLS sends them to port 8883.
constexpr std::string_view kPlainConnect("\x10\x17\x00\x04MQTT\x04\x02\x00\x3c\x00\x0bplain-client", 25);

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = static_cast<char>(random());
  return bytes;
}

std::string PeerCommonName(const SSL* ssl) {
  X509* certificate = SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr) return "";
  char name[128] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, name, sizeof(name));
  return name;
}

class TlsTransformTest : public ::testing::Test {
 protected:
  std::shared_ptr<const TlsContext> Context(TlsOptions options = {}) {
    options.cert_file = pki_.server_chain_file();
    options.key_file = pki_.server_key_file();
    absl::StatusOr<std::shared_ptr<const TlsContext>> context = LoadTlsContext(options);
    if (!context.ok()) ADD_FAILURE() << context.status();
    return context.ok() ? *context : nullptr;
  }
  TlsOptions MutualOptions(bool required) {
    TlsOptions options;
    options.ca_file = pki_.root_ca_file();
    options.require_client_cert = required;
    return options;
  }

  TestPki pki_;
  SslCtxPtr client_ctx_ = NewClientContext(pki_.root_ca_file());
  std::string up_;
};

TEST_F(TlsTransformTest, HandshakesAndCarriesDataBothWays) {
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context());
  EXPECT_EQ(server->name(), "tls");
  EXPECT_FALSE(server->established());
  MemoryTlsClient client(client_ctx_.get());
  ASSERT_TRUE(Exchange(client, *server, up_).ok());
  EXPECT_TRUE(server->established());
  ASSERT_TRUE(client.handshake_done()) << client.error();
  EXPECT_EQ(SSL_version(client.ssl()), TLS1_3_VERSION);
  EXPECT_EQ(PeerCommonName(client.ssl()), "localhost");  // verified through the intermediate in the chain file
  EXPECT_EQ(server->client_identity(), std::nullopt);

  client.Write(kPlainConnect);
  ASSERT_TRUE(Exchange(client, *server, up_).ok());
  EXPECT_EQ(up_, kPlainConnect);
  constexpr std::string_view kConnack("\x20\x02\x00\x00", 4);
  ASSERT_TRUE(ServerSend(*server, client, kConnack).ok());
  EXPECT_EQ(client.received(), kConnack);
}

// A client may send its first MQTT bytes right behind its Finished, in one segment: the server reads
// them in the same Receive that completes the handshake.
TEST_F(TlsTransformTest, ReadsDataThatArrivesWithTheClientFinished) {
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context());
  MemoryTlsClient client(client_ctx_.get());
  client.Process();
  std::string down;
  ASSERT_TRUE(server->Receive(Bytes(client.TakeCiphertext()), {up_, down}).ok());
  client.Feed(down);
  client.Process();
  ASSERT_TRUE(client.handshake_done());
  client.Write(kPlainConnect);
  down.clear();
  ASSERT_TRUE(server->Receive(Bytes(client.TakeCiphertext()), {up_, down}).ok());
  EXPECT_TRUE(server->established());
  EXPECT_EQ(up_, kPlainConnect);
  EXPECT_FALSE(down.empty());  // the session ticket, sent once the handshake is done
}

TEST_F(TlsTransformTest, TakesCiphertextOneByteAtATime) {
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context());
  MemoryTlsClient client(client_ctx_.get());
  // Every flight of the handshake, then two records of data, reach the server a byte per Receive.
  bool data_sent = false;
  for (int round = 0; round < 8 && up_.size() < 2 * kPlainConnect.size(); ++round) {
    client.Process();
    if (client.handshake_done() && !data_sent) {
      client.Write(kPlainConnect);
      client.Write(kPlainConnect);
      data_sent = true;
    }
    for (char byte : client.TakeCiphertext()) {
      std::string down;
      ASSERT_TRUE(server->Receive(Bytes(std::string_view(&byte, 1)), {up_, down}).ok());
      client.Feed(down);
    }
  }
  EXPECT_TRUE(server->established());
  EXPECT_EQ(up_, std::string(kPlainConnect) + std::string(kPlainConnect));
}

TEST_F(TlsTransformTest, SendsPiecesOfAPacketAsTheyCome) {
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context());
  MemoryTlsClient client(client_ctx_.get());
  ASSERT_TRUE(Exchange(client, *server, up_).ok());
  for (char byte : kPlainConnect) ASSERT_TRUE(ServerSend(*server, client, std::string_view(&byte, 1)).ok());
  EXPECT_EQ(client.received(), kPlainConnect);
}

TEST_F(TlsTransformTest, CarriesLargeWritesBothWays) {
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context());
  MemoryTlsClient client(client_ctx_.get());
  ASSERT_TRUE(Exchange(client, *server, up_).ok());
  const std::string upload = RandomBytes(1 << 20, 1);
  client.Write(upload);
  // The ciphertext arrives in reads that do not line up with records.
  const std::string ciphertext = client.TakeCiphertext();
  for (size_t at = 0; at < ciphertext.size(); at += 7000) {
    std::string down;
    ASSERT_TRUE(server->Receive(Bytes(std::string_view(ciphertext).substr(at, 7000)), {up_, down}).ok());
    EXPECT_TRUE(down.empty());
  }
  EXPECT_EQ(up_.size(), upload.size());
  EXPECT_TRUE(up_ == upload);

  const std::string download = RandomBytes(3 << 20, 2);
  ASSERT_TRUE(ServerSend(*server, client, download).ok());
  EXPECT_EQ(client.received().size(), download.size());
  EXPECT_TRUE(client.received() == download);
}

TEST_F(TlsTransformTest, MutualTlsGivesTheClientCertificateCommonName) {
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context(MutualOptions(/*required=*/true)));
  testing::Credential device = pki_.IssueClient("device-42");
  SslCtxPtr device_ctx = NewClientContext(pki_.root_ca_file(), &device);
  MemoryTlsClient client(device_ctx.get());
  ASSERT_TRUE(Exchange(client, *server, up_).ok());
  EXPECT_TRUE(server->established());
  EXPECT_EQ(server->client_identity(), "device-42");
  client.Write("after mutual handshake");
  ASSERT_TRUE(Exchange(client, *server, up_).ok());
  EXPECT_EQ(up_, "after mutual handshake");
}

TEST_F(TlsTransformTest, RefusesAClientWithoutCertificateWhenOneIsRequired) {
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context(MutualOptions(/*required=*/true)));
  MemoryTlsClient client(client_ctx_.get());
  absl::Status status = Exchange(client, *server, up_);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("TLS handshake failed: peer did not return a certificate"));
  EXPECT_FALSE(server->established());
  EXPECT_THAT(client.error(), HasSubstr("certificate required"));  // the server's alert reached the client
  std::string down;
  EXPECT_FALSE(server->Receive(Bytes("more"), {up_, down}).ok());
}

TEST_F(TlsTransformTest, RefusesAClientCertificateFromAnotherCa) {
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context(MutualOptions(/*required=*/false)));
  TestPki stranger;
  testing::Credential forged = stranger.IssueClient("device-42");
  SslCtxPtr forged_ctx = NewClientContext(pki_.root_ca_file(), &forged);
  MemoryTlsClient client(forged_ctx.get());
  absl::Status status = Exchange(client, *server, up_);
  EXPECT_THAT(std::string(status.message()), StartsWith("TLS handshake failed: certificate verify failed ("));
  EXPECT_EQ(server->client_identity(), std::nullopt);
  EXPECT_THAT(client.error(), HasSubstr("alert"));
}

TEST_F(TlsTransformTest, OptionalClientCertificateIsVerifiedOnlyWhenPresented) {
  std::shared_ptr<const TlsContext> context = Context(MutualOptions(/*required=*/false));
  std::unique_ptr<StreamTransform> anonymous = NewTlsTransform(context);
  MemoryTlsClient without(client_ctx_.get());
  ASSERT_TRUE(Exchange(without, *anonymous, up_).ok());
  EXPECT_TRUE(anonymous->established());
  EXPECT_EQ(anonymous->client_identity(), std::nullopt);

  std::unique_ptr<StreamTransform> identified = NewTlsTransform(context);
  testing::Credential device = pki_.IssueClient("sensor-7");
  SslCtxPtr device_ctx = NewClientContext(pki_.root_ca_file(), &device);
  MemoryTlsClient with(device_ctx.get());
  ASSERT_TRUE(Exchange(with, *identified, up_).ok());
  EXPECT_EQ(identified->client_identity(), "sensor-7");
}

TEST_F(TlsTransformTest, ATls12OnlyClientIsRefusedByATls13Floor) {
  TlsOptions options;
  options.min_version = "1.3";
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context(options));
  SslCtxPtr old_ctx = NewClientContext(pki_.root_ca_file(), nullptr, TLS1_2_VERSION);
  MemoryTlsClient client(old_ctx.get());
  absl::Status status = Exchange(client, *server, up_);
  EXPECT_THAT(std::string(status.message()), StartsWith("TLS handshake failed: unsupported protocol"));
  EXPECT_THAT(client.error(), HasSubstr("protocol version"));
}

TEST_F(TlsTransformTest, ServesChaChaToClientsThatPreferIt) {
  std::shared_ptr<const TlsContext> context = Context();
  std::unique_ptr<StreamTransform> server = NewTlsTransform(context);
  MemoryTlsClient aes_client(client_ctx_.get());
  ASSERT_TRUE(Exchange(aes_client, *server, up_).ok());
  EXPECT_STREQ(SSL_get_cipher_name(aes_client.ssl()), "TLS_AES_256_GCM_SHA384");

  SslCtxPtr no_aes_ctx = NewClientContext(pki_.root_ca_file());
  SSL_CTX_set_ciphersuites(no_aes_ctx.get(), "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384");
  std::unique_ptr<StreamTransform> other = NewTlsTransform(context);
  MemoryTlsClient chacha_client(no_aes_ctx.get());
  ASSERT_TRUE(Exchange(chacha_client, *other, up_).ok());
  EXPECT_STREQ(SSL_get_cipher_name(chacha_client.ssl()), "TLS_CHACHA20_POLY1305_SHA256");
}

TEST_F(TlsTransformTest, ATls12ClientIsServedByDefault) {
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context());
  SslCtxPtr old_ctx = NewClientContext(pki_.root_ca_file(), nullptr, TLS1_2_VERSION);
  MemoryTlsClient client(old_ctx.get());
  ASSERT_TRUE(Exchange(client, *server, up_).ok());
  EXPECT_EQ(SSL_version(client.ssl()), TLS1_2_VERSION);
  client.Write("over 1.2");
  ASSERT_TRUE(Exchange(client, *server, up_).ok());
  EXPECT_EQ(up_, "over 1.2");
}

TEST_F(TlsTransformTest, RefusesPlainMqttWithAReason) {
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context());
  std::string down;
  absl::Status status = server->Receive(Bytes(kPlainConnect), {up_, down});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(status.message()), "TLS handshake failed: wrong version number");
  EXPECT_TRUE(down.empty());  // no TLS record layer to put an alert in
  EXPECT_TRUE(up_.empty());
  EXPECT_FALSE(server->established());
}

TEST_F(TlsTransformTest, RefusesAnHttpRequestWithAReason) {
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context());
  std::string down;
  absl::Status status = server->Receive(Bytes("GET /mqtt HTTP/1.1\r\nHost: localhost\r\n\r\n"), {up_, down});
  EXPECT_EQ(std::string(status.message()), "TLS handshake failed: http request");
  EXPECT_FALSE(server->established());
}

TEST_F(TlsTransformTest, RefusesGarbage) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::unique_ptr<StreamTransform> server = NewTlsTransform(Context());
    // A plausible record header (handshake, TLS 1.2) followed by noise, and pure noise.
    std::string garbage = RandomBytes(300, seed);
    if (seed % 2 == 0) garbage.replace(0, 5, std::string("\x16\x03\x01\x01\x00", 5));
    std::string down;
    absl::Status status = server->Receive(Bytes(garbage), {up_, down});
    EXPECT_THAT(std::string(status.message()), StartsWith("TLS handshake failed: ")) << seed;
    // Noise that looks like a TLS record gets a fatal alert record back (5-byte header, 2-byte alert).
    if (seed % 2 == 0) {
      EXPECT_EQ(down.size(), 7u) << seed;
    }
    EXPECT_TRUE(up_.empty());
  }
}

// Corrupted and truncated ClientHellos, arriving in pieces of random sizes: each is refused with a
// reason or left waiting for more bytes, never crashes, never yields bytes for MQTT.
TEST_F(TlsTransformTest, SurvivesCorruptedClientHellos) {
  std::shared_ptr<const TlsContext> context = Context();
  MemoryTlsClient genuine(client_ctx_.get());
  genuine.Process();
  const std::string hello = genuine.TakeCiphertext();
  ASSERT_GT(hello.size(), 100u);
  std::mt19937 random(42);
  int refused = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string mutated = hello;
    for (int flips = 1 + trial % 3; flips > 0; --flips) mutated[random() % mutated.size()] ^= 1 + random() % 255;
    if (trial % 4 == 0) mutated.resize(random() % mutated.size());
    std::unique_ptr<StreamTransform> server = NewTlsTransform(context);
    absl::Status status;
    for (size_t at = 0; at < mutated.size() && status.ok();) {
      const size_t piece = 1 + random() % 64;
      std::string down;
      status = server->Receive(Bytes(std::string_view(mutated).substr(at, piece)), {up_, down});
      at += piece;
    }
    if (!status.ok()) {
      ++refused;
      EXPECT_THAT(std::string(status.message()), StartsWith("TLS handshake failed: ")) << trial;
    }
    EXPECT_FALSE(server->established());
    EXPECT_TRUE(up_.empty());
  }
  // Many flips land where a server cannot tell (the client random, a key share) and it answers; many
  // truncations just wait for more. Enough must be refused for the test to have tried the error path.
  EXPECT_GT(refused, 50);
}

TEST_F(TlsTransformTest, RefusesATamperedRecordAfterTheHandshake) {
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context());
  MemoryTlsClient client(client_ctx_.get());
  ASSERT_TRUE(Exchange(client, *server, up_).ok());
  client.Write("PUBLISH payload");
  std::string record = client.TakeCiphertext();
  record[record.size() - 3] ^= 0x40;
  std::string down;
  absl::Status status = server->Receive(Bytes(record), {up_, down});
  EXPECT_THAT(std::string(status.message()), StartsWith("TLS failed: "));
  EXPECT_FALSE(down.empty());  // bad_record_mac alert
  EXPECT_TRUE(up_.empty());
  EXPECT_FALSE(server->Send(Bytes("x"), down).ok());
}

TEST_F(TlsTransformTest, ResumesASessionOnAnotherConnectionOfTheContext) {
  for (const int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    std::shared_ptr<const TlsContext> context = Context();  // one context, as all shards share it
    SslCtxPtr ctx = NewClientContext(pki_.root_ca_file(), nullptr, version);
    testing::SslSessionPtr session;
    {
      std::unique_ptr<StreamTransform> first = NewTlsTransform(context);
      MemoryTlsClient client(ctx.get());
      ASSERT_TRUE(Exchange(client, *first, up_).ok());
      client.Process();  // reads the TLS 1.3 tickets sent after the handshake
      EXPECT_FALSE(SSL_session_reused(client.ssl()));
      session = client.Session();
      client.Shutdown();  // a client forgets a session whose connection ended without close_notify
    }
    ASSERT_TRUE(SSL_SESSION_is_resumable(session.get())) << version;
    std::unique_ptr<StreamTransform> second = NewTlsTransform(context);
    MemoryTlsClient client(ctx.get(), session.get());
    ASSERT_TRUE(Exchange(client, *second, up_).ok());
    EXPECT_TRUE(second->established());
    EXPECT_TRUE(SSL_session_reused(client.ssl())) << version;
    client.Write("resumed");
    ASSERT_TRUE(Exchange(client, *second, up_).ok());
    EXPECT_EQ(up_, "resumed");
    up_.clear();
  }
}

// Two contexts loaded separately (two broker processes, or one before and after a restart) with the
// same ticket key file resume each other's sessions; without the file they cannot.
TEST_F(TlsTransformTest, ATicketKeyFileLetsSessionsSurviveARestart) {
  TlsOptions options;
  options.ticket_key_file = pki_.dir() + "/ticket.key";
  std::ofstream(options.ticket_key_file, std::ios::binary) << RandomBytes(80, 7);
  for (const bool with_file : {true, false}) {
    if (!with_file) options.ticket_key_file.clear();
    testing::SslSessionPtr session;
    {
      std::unique_ptr<StreamTransform> before_restart = NewTlsTransform(Context(options));
      MemoryTlsClient client(client_ctx_.get());
      ASSERT_TRUE(Exchange(client, *before_restart, up_).ok());
      session = client.Session();
      client.Shutdown();
    }
    std::unique_ptr<StreamTransform> after_restart = NewTlsTransform(Context(options));
    MemoryTlsClient client(client_ctx_.get(), session.get());
    ASSERT_TRUE(Exchange(client, *after_restart, up_).ok());
    EXPECT_EQ(SSL_session_reused(client.ssl()), with_file);
  }
}

// A long-connected TLS 1.3 device gets a fresh ticket every half lifetime, so it can resume after
// its first ticket expired. Lifetime 2 s; OpenSSL counts whole seconds, hence the waits over 3 s.
TEST_F(TlsTransformTest, ALongConnectionGetsFreshTickets) {
  TlsOptions options;
  options.session_lifetime_s = 2;
  std::shared_ptr<const TlsContext> context = Context(options);
  std::unique_ptr<StreamTransform> server = NewTlsTransform(context);
  MemoryTlsClient client(client_ctx_.get());
  ASSERT_TRUE(Exchange(client, *server, up_).ok());
  testing::SslSessionPtr first = client.Session();

  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  ASSERT_TRUE(ServerSend(*server, client, "PINGRESP").ok());
  EXPECT_EQ(client.received(), "PINGRESP");
  testing::SslSessionPtr refreshed = client.Session();
  EXPECT_NE(refreshed.get(), first.get());
  std::this_thread::sleep_for(std::chrono::milliseconds(1900));  // `first` is now past its lifetime
  client.Shutdown();

  for (SSL_SESSION* session : {first.get(), refreshed.get()}) {
    std::unique_ptr<StreamTransform> next = NewTlsTransform(context);
    MemoryTlsClient returning(client_ctx_.get(), session);
    ASSERT_TRUE(Exchange(returning, *next, up_).ok());
    EXPECT_EQ(SSL_session_reused(returning.ssl()) == 1, session == refreshed.get());
  }
}

TEST_F(TlsTransformTest, ResumedMutualTlsKeepsTheIdentity) {
  std::shared_ptr<const TlsContext> context = Context(MutualOptions(/*required=*/true));
  testing::Credential device = pki_.IssueClient("device-9");
  SslCtxPtr device_ctx = NewClientContext(pki_.root_ca_file(), &device);
  testing::SslSessionPtr session;
  {
    std::unique_ptr<StreamTransform> first = NewTlsTransform(context);
    MemoryTlsClient client(device_ctx.get());
    ASSERT_TRUE(Exchange(client, *first, up_).ok());
    client.Process();
    session = client.Session();
    client.Shutdown();
  }
  std::unique_ptr<StreamTransform> second = NewTlsTransform(context);
  MemoryTlsClient client(device_ctx.get(), session.get());
  ASSERT_TRUE(Exchange(client, *second, up_).ok());
  EXPECT_TRUE(SSL_session_reused(client.ssl()));
  EXPECT_EQ(second->client_identity(), "device-9");
}

TEST_F(TlsTransformTest, AReloadServesTheNewCertificateWhileOldConnectionsKeepTheirs) {
  std::shared_ptr<const TlsContext> initial = Context();
  TlsContextHolder holder(initial);
  std::unique_ptr<StreamTransform> old_connection = NewTlsTransform(holder.Current());
  MemoryTlsClient old_client(client_ctx_.get());
  ASSERT_TRUE(Exchange(old_client, *old_connection, up_).ok());
  old_client.Process();
  testing::SslSessionPtr session = old_client.Session();

  pki_.WriteServer("renewed", pki_.server_chain_file(), pki_.server_key_file());
  ASSERT_TRUE(holder.Reload().ok());
  initial.reset();  // only the old connection holds the old certificate now

  std::unique_ptr<StreamTransform> new_connection = NewTlsTransform(holder.Current());
  MemoryTlsClient new_client(client_ctx_.get());
  ASSERT_TRUE(Exchange(new_client, *new_connection, up_).ok());
  EXPECT_EQ(PeerCommonName(new_client.ssl()), "renewed");

  old_client.Write("still here");
  ASSERT_TRUE(Exchange(old_client, *old_connection, up_).ok());
  EXPECT_EQ(up_, "still here");
  ASSERT_TRUE(ServerSend(*old_connection, old_client, "and answered").ok());
  EXPECT_EQ(old_client.received(), "and answered");
  EXPECT_EQ(PeerCommonName(old_client.ssl()), "localhost");

  // The reloaded context kept the ticket keys: a session from before the reload resumes.
  std::unique_ptr<StreamTransform> resumed = NewTlsTransform(holder.Current());
  MemoryTlsClient returning(client_ctx_.get(), session.get());
  ASSERT_TRUE(Exchange(returning, *resumed, up_).ok());
  EXPECT_TRUE(SSL_session_reused(returning.ssl()));
}

// Shards share one context (and the holder): connections on two threads handshake, resume and carry
// data while the main thread reloads the certificate under them.
TEST_F(TlsTransformTest, ShardsShareTheContextWhileItIsReloaded) {
  TlsContextHolder holder(Context());
  std::atomic<int> failures{0};
  std::atomic<int> resumed{0};
  auto shard = [&](int id) {
    testing::SslSessionPtr session;
    for (int i = 0; i < 12; ++i) {
      std::unique_ptr<StreamTransform> server = NewTlsTransform(holder.Current());
      MemoryTlsClient client(client_ctx_.get(), session.get());
      std::string up;
      const std::string message = "shard " + std::to_string(id) + " message " + std::to_string(i);
      bool ok = Exchange(client, *server, up).ok();
      client.Write(message);
      ok = ok && Exchange(client, *server, up).ok() && up == message;
      if (!ok) failures.fetch_add(1);
      if (SSL_session_reused(client.ssl())) resumed.fetch_add(1);
      session = client.Session();
      client.Shutdown();
    }
  };
  std::thread first(shard, 1);
  std::thread second(shard, 2);
  for (int reload = 0; reload < 4; ++reload) {
    pki_.WriteServer("reload " + std::to_string(reload), pki_.server_chain_file() + ".next", pki_.server_key_file() + ".next");
    // rename(2) swaps each file whole, as a deploy should, so a reload never reads half a file.
    std::filesystem::rename(pki_.server_chain_file() + ".next", pki_.server_chain_file());
    std::filesystem::rename(pki_.server_key_file() + ".next", pki_.server_key_file());
    EXPECT_TRUE(holder.Reload().ok());
  }
  first.join();
  second.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(resumed.load(), 0);
}

TEST_F(TlsTransformTest, ClosesWithCloseNotifyBothWays) {
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context());
  MemoryTlsClient client(client_ctx_.get());
  ASSERT_TRUE(Exchange(client, *server, up_).ok());
  EXPECT_FALSE(server->peer_closed());
  client.Shutdown();
  ASSERT_TRUE(Exchange(client, *server, up_).ok());
  EXPECT_TRUE(server->peer_closed());

  std::string down;
  server->Close(down);
  EXPECT_FALSE(down.empty());
  client.Feed(down);
  client.Process();
  EXPECT_TRUE(client.peer_closed());
}

TEST_F(TlsTransformTest, ReadsTheLastDataAndTheCloseNotifyOfOneSegment) {
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context());
  MemoryTlsClient client(client_ctx_.get());
  ASSERT_TRUE(Exchange(client, *server, up_).ok());
  client.Write("DISCONNECT");
  client.Shutdown();
  std::string down;
  ASSERT_TRUE(server->Receive(Bytes(client.TakeCiphertext()), {up_, down}).ok());
  EXPECT_EQ(up_, "DISCONNECT");
  EXPECT_TRUE(server->peer_closed());
}

TEST_F(TlsTransformTest, CloseBeforeTheHandshakeWritesNothing) {
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context());
  std::string down;
  server->Close(down);
  EXPECT_TRUE(down.empty());
  EXPECT_EQ(server->Send(Bytes("early"), down).code(), absl::StatusCode::kFailedPrecondition);
}

// Idle established connections give their record buffers back: 14.5 KiB of heap each was measured
// (build/bench/net/tls_bench, BM_IdleConnectionMemory), and one held record buffer alone is over 16 KiB.
TEST_F(TlsTransformTest, IdleConnectionsKeepNoRecordBuffers) {
  std::shared_ptr<const TlsContext> context = Context();
  constexpr int kConnections = 200;
  std::vector<std::unique_ptr<StreamTransform>> servers;
  servers.reserve(kConnections);
  std::string down;
  malloc_trim(0);
  const struct mallinfo2 before = mallinfo2();
  for (int i = 0; i < kConnections; ++i) {
    servers.push_back(NewTlsTransform(context));
    MemoryTlsClient client(client_ctx_.get());
    ASSERT_TRUE(Exchange(client, *servers.back(), up_).ok());
    client.Write(kPlainConnect);
    ASSERT_TRUE(Exchange(client, *servers.back(), up_).ok());
    down.clear();
    ASSERT_TRUE(servers.back()->Send(Bytes(kPlainConnect), down).ok());
  }
  up_ = std::string();
  down = std::string();
  const struct mallinfo2 after = mallinfo2();
  if (after.uordblks == 0 && after.hblkhd == 0) {
    GTEST_SKIP() << "the allocator does not report through glibc's mallinfo2 (valgrind or a sanitizer?)";
  }
  const double per_connection =
      static_cast<double>((after.uordblks + after.hblkhd) - (before.uordblks + before.hblkhd)) / kConnections;
  EXPECT_LT(per_connection, 20 * 1024);
  EXPECT_GT(per_connection, 1024);  // the measurement saw the connections at all
}

TEST_F(TlsTransformTest, KeepsWorkingAfterReleasingIdleBuffers) {
  std::unique_ptr<StreamTransform> server = NewTlsTransform(Context());
  MemoryTlsClient client(client_ctx_.get());
  ASSERT_TRUE(Exchange(client, *server, up_).ok());
  server->ReleaseIdleBuffers();
  client.Write("after idle");
  // Half a record arrives, the connection idles, the rest arrives.
  const std::string record = client.TakeCiphertext();
  std::string down;
  ASSERT_TRUE(server->Receive(Bytes(std::string_view(record).substr(0, 10)), {up_, down}).ok());
  server->ReleaseIdleBuffers();
  ASSERT_TRUE(server->Receive(Bytes(std::string_view(record).substr(10)), {up_, down}).ok());
  EXPECT_EQ(up_, "after idle");
  server->ReleaseIdleBuffers();
  ASSERT_TRUE(ServerSend(*server, client, "reply").ok());
  EXPECT_EQ(client.received(), "reply");
}

}  // namespace
}  // namespace ringmq
