// What SCRAM-SHA-256 costs the broker's shard thread: one whole server-side exchange (Start + Continue)
// for a known user and for an unknown one (made-up verifier), against the client's PBKDF2 at 4096
// iterations, which the broker never runs. Run: build/bench/core/scram_bench
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "core/scram_authenticator.h"
#include "core/scram_credentials.h"

namespace ringmq {
namespace {

// RFC 7677 section 3 (user "user", password "pencil"), replayed with its fixed server nonce.
const std::string kFile =
    "user:SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=\n";
const std::string kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";

ScramAuthenticator Authenticator() {
  return ScramAuthenticator(std::make_shared<const ScramCredentials>(*ParseScramCredentials(kFile)),
                            [] { return std::string("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"); });
}

void BM_ExchangeKnownUser(benchmark::State& state) {
  ScramAuthenticator authenticator = Authenticator();
  for (auto _ : state) {
    std::unique_ptr<AuthExchange> exchange = authenticator.NewExchange();
    benchmark::DoNotOptimize(exchange->Start({"c", {}}, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
    AuthStep last = exchange->Continue(kClientFinal);
    if (last.kind != AuthStep::Kind::kSuccess) state.SkipWithError("exchange failed");
    benchmark::DoNotOptimize(last);
  }
}
BENCHMARK(BM_ExchangeKnownUser);

// A known user with a wrong proof: what an unknown user's exchange must not be told apart from.
void BM_ExchangeWrongPassword(benchmark::State& state) {
  ScramAuthenticator authenticator = Authenticator();
  std::string wrong = kClientFinal;
  wrong[wrong.size() - 3] = 'A';
  for (auto _ : state) {
    std::unique_ptr<AuthExchange> exchange = authenticator.NewExchange();
    benchmark::DoNotOptimize(exchange->Start({"c", {}}, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
    AuthStep last = exchange->Continue(wrong);
    if (last.kind != AuthStep::Kind::kFailure) state.SkipWithError("wrong proof accepted");
    benchmark::DoNotOptimize(last);
  }
}
BENCHMARK(BM_ExchangeWrongPassword);

void BM_ExchangeUnknownUser(benchmark::State& state) {
  ScramAuthenticator authenticator = Authenticator();
  for (auto _ : state) {
    std::unique_ptr<AuthExchange> exchange = authenticator.NewExchange();
    benchmark::DoNotOptimize(exchange->Start({"c", {}}, "n,,n=nobody,r=rOprNGfwEbeRWgbNEkqO"));
    benchmark::DoNotOptimize(exchange->Continue(kClientFinal));
  }
}
BENCHMARK(BM_ExchangeUnknownUser);

void BM_RandomNonce(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ScramAuthenticator::RandomNonce());
}
BENCHMARK(BM_RandomNonce);

void BM_ClientPbkdf2At4096(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(DeriveScramVerifier("pencil", "0123456789abcdef", 4096));
}
BENCHMARK(BM_ClientPbkdf2At4096)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ringmq

BENCHMARK_MAIN();
