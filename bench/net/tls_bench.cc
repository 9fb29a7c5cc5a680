// What TLS costs the shard thread that serves it, in memory, without sockets: server-side CPU per
// full and resumed handshake (ECDSA P-256 and RSA 2048 certificates, TLS 1.3 and 1.2), record
// encryption and decryption at 64 B (a small PUBLISH) and 16 KiB (a full record), and the heap an
// idle established connection keeps. Only the server's calls are timed (manual time, in thread CPU
// time): the client half of each handshake runs in the same thread but is not counted.
//
//   build/bench/net/tls_bench
//   build/bench/net/tls_bench --benchmark_filter=IdleConnection
#include <malloc.h>
#include <openssl/ssl.h>
#include <time.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "net/transport/tls_transform.h"
#include "tests/net/transport/memory_tls_client.h"
#include "tests/net/transport/test_pki.h"

namespace ringmq {
namespace {

using testing::Bytes;
using testing::KeyType;
using testing::MemoryTlsClient;
using testing::SslCtxPtr;
using testing::SslSessionPtr;
using testing::TestPki;

// This thread's CPU time: the machine running the benchmarks is shared, and wall time would count
// the other processes' turns as TLS work.
double ThreadCpuSeconds() {
  timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// A server context and a client context for one kind of certificate, made once per process.
struct Fixture {
  explicit Fixture(KeyType type) : pki(type) {
    TlsOptions options;
    options.cert_file = pki.server_chain_file();
    options.key_file = pki.server_key_file();
    absl::StatusOr<std::shared_ptr<const TlsContext>> loaded = LoadTlsContext(options);
    if (!loaded.ok()) std::abort();
    server = *loaded;
  }
  TestPki pki;
  std::shared_ptr<const TlsContext> server;
  SslCtxPtr client13 = testing::NewClientContext(pki.root_ca_file());
  SslCtxPtr client12 = testing::NewClientContext(pki.root_ca_file(), nullptr, TLS1_2_VERSION);
};

Fixture& FixtureFor(KeyType type) {
  if (type == KeyType::kEcdsaP256) {
    static Fixture* const ecdsa = new Fixture(KeyType::kEcdsaP256);
    return *ecdsa;
  }
  static Fixture* const rsa = new Fixture(KeyType::kRsa2048);
  return *rsa;
}

// Runs a handshake to the end (tickets read by the client); returns the seconds the server spent.
double TimedHandshake(MemoryTlsClient& client, StreamTransform& server) {
  std::string up;
  std::string down;
  double server_seconds = 0;
  for (int round = 0; round < 8; ++round) {
    client.Process();
    const std::string to_server = client.TakeCiphertext();
    if (to_server.empty()) break;
    down.clear();
    const double start = ThreadCpuSeconds();
    const absl::Status status = server.Receive(Bytes(to_server), {up, down});
    server_seconds += ThreadCpuSeconds() - start;
    if (!status.ok()) std::abort();
    client.Feed(down);
  }
  if (!server.established() || !client.handshake_done()) std::abort();
  return server_seconds;
}

SSL_CTX* ClientContext(Fixture& fixture, int version) {
  return version == TLS1_2_VERSION ? fixture.client12.get() : fixture.client13.get();
}

// Args: key type (0 ECDSA, 1 RSA), TLS version (0x0304 or 0x0303).
void BM_FullHandshake(benchmark::State& state) {
  Fixture& fixture = FixtureFor(static_cast<KeyType>(state.range(0)));
  SSL_CTX* client_ctx = ClientContext(fixture, static_cast<int>(state.range(1)));
  for (auto _ : state) {
    std::unique_ptr<StreamTransform> server = NewTlsTransform(fixture.server);
    MemoryTlsClient client(client_ctx);
    state.SetIterationTime(TimedHandshake(client, *server));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FullHandshake)
    ->ArgNames({"rsa", "version"})
    ->Args({0, TLS1_3_VERSION})
    ->Args({1, TLS1_3_VERSION})
    ->Args({0, TLS1_2_VERSION})
    ->Args({1, TLS1_2_VERSION})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

void BM_ResumedHandshake(benchmark::State& state) {
  Fixture& fixture = FixtureFor(static_cast<KeyType>(state.range(0)));
  SSL_CTX* client_ctx = ClientContext(fixture, static_cast<int>(state.range(1)));
  SslSessionPtr session;
  {
    std::unique_ptr<StreamTransform> server = NewTlsTransform(fixture.server);
    MemoryTlsClient client(client_ctx);
    TimedHandshake(client, *server);
    session = client.Session();
    client.Shutdown();
  }
  for (auto _ : state) {
    std::unique_ptr<StreamTransform> server = NewTlsTransform(fixture.server);
    MemoryTlsClient client(client_ctx, session.get());
    state.SetIterationTime(TimedHandshake(client, *server));
    if (!SSL_session_reused(client.ssl())) {
      state.SkipWithError("the session was not resumed");
      break;
    }
    client.Shutdown();  // keeps `session` resumable
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ResumedHandshake)
    ->ArgNames({"rsa", "version"})
    ->Args({0, TLS1_3_VERSION})
    ->Args({1, TLS1_3_VERSION})
    ->Args({0, TLS1_2_VERSION})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

struct Established {
  std::unique_ptr<StreamTransform> server;
  std::unique_ptr<MemoryTlsClient> client;
};

Established Connect(Fixture& fixture) {
  Established pair{NewTlsTransform(fixture.server), std::make_unique<MemoryTlsClient>(fixture.client13.get())};
  TimedHandshake(*pair.client, *pair.server);
  return pair;
}

// Server-side encryption of one record of `size` bytes (what a PUBLISH to a TLS subscriber costs).
void BM_Encrypt(benchmark::State& state) {
  Established pair = Connect(FixtureFor(KeyType::kEcdsaP256));
  const std::string plaintext(static_cast<size_t>(state.range(0)), 'p');
  std::string down;
  for (auto _ : state) {
    down.clear();
    if (!pair.server->Send(Bytes(plaintext), down).ok()) std::abort();
    benchmark::DoNotOptimize(down.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Encrypt)->Arg(64)->Arg(16384);

// Server-side decryption of one record of `size` bytes; the client's encryption is not timed.
void BM_Decrypt(benchmark::State& state) {
  Established pair = Connect(FixtureFor(KeyType::kEcdsaP256));
  const std::string plaintext(static_cast<size_t>(state.range(0)), 'p');
  std::string up;
  std::string down;
  for (auto _ : state) {
    pair.client->Write(plaintext);
    const std::string record = pair.client->TakeCiphertext();
    up.clear();
    const double start = ThreadCpuSeconds();
    if (!pair.server->Receive(Bytes(record), {up, down}).ok() || up.size() != plaintext.size()) std::abort();
    state.SetIterationTime(ThreadCpuSeconds() - start);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Decrypt)->Arg(64)->Arg(16384)->UseManualTime();

size_t HeapInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

// The heap 1000 established, idle server connections keep (clients freed first, buffers released):
// counter bytes_per_connection. Each has exchanged one small record each way, as after a CONNACK.
void BM_IdleConnectionMemory(benchmark::State& state) {
  Fixture& fixture = FixtureFor(static_cast<KeyType>(state.range(0)));
  const bool mutual = state.range(1) != 0;
  std::shared_ptr<const TlsContext> context = fixture.server;
  testing::Credential device = fixture.pki.IssueClient("device");
  SslCtxPtr device_ctx = testing::NewClientContext(fixture.pki.root_ca_file(), &device);
  if (mutual) {
    TlsOptions options = context->options();
    options.ca_file = fixture.pki.root_ca_file();
    options.require_client_cert = true;
    context = *LoadTlsContext(options);
  }
  SSL_CTX* client_ctx = mutual ? device_ctx.get() : fixture.client13.get();
  constexpr int kConnections = 1000;
  for (auto _ : state) {
    { Established warm_up{NewTlsTransform(context), std::make_unique<MemoryTlsClient>(client_ctx)};
      TimedHandshake(*warm_up.client, *warm_up.server); }
    malloc_trim(0);
    const size_t before = HeapInUse();
    std::vector<std::unique_ptr<StreamTransform>> servers;
    std::string up;
    std::string down;
    for (int i = 0; i < kConnections; ++i) {
      servers.push_back(NewTlsTransform(context));
      MemoryTlsClient client(client_ctx);
      TimedHandshake(client, *servers.back());
      client.Write(std::string_view("\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04" "abcd", 18));
      down.clear();
      if (!servers.back()->Receive(Bytes(client.TakeCiphertext()), {up, down}).ok()) std::abort();
      if (!servers.back()->Send(Bytes(std::string_view("\x20\x02\x00\x00", 4)), down).ok()) std::abort();
      servers.back()->ReleaseIdleBuffers();
    }
    up = std::string();
    down = std::string();
    const size_t after = HeapInUse();
    state.counters["bytes_per_connection"] = static_cast<double>(after - before) / kConnections;
  }
}
// The heap of 1000 accepted connections whose handshake has not started (a connect storm's backlog).
void BM_FreshConnectionMemory(benchmark::State& state) {
  std::shared_ptr<const TlsContext> context = FixtureFor(KeyType::kEcdsaP256).server;
  constexpr int kConnections = 1000;
  for (auto _ : state) {
    malloc_trim(0);
    const size_t before = HeapInUse();
    std::vector<std::unique_ptr<StreamTransform>> servers;
    servers.reserve(kConnections);
    for (int i = 0; i < kConnections; ++i) servers.push_back(NewTlsTransform(context));
    state.counters["bytes_per_connection"] = static_cast<double>(HeapInUse() - before) / kConnections;
  }
}
BENCHMARK(BM_FreshConnectionMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

BENCHMARK(BM_IdleConnectionMemory)
    ->ArgNames({"rsa", "mutual"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({0, 1})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ringmq

BENCHMARK_MAIN();
