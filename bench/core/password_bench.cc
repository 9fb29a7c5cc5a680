// What one login costs the shard thread that checks it: PasswordFile::Verify for each hash kind of a
// mosquitto password file, an unknown user, and a CredentialCache hit (the same device logging in
// again with the password that verified last time). These figures decide how the broker schedules
// hashing during a reconnect storm.
//
//   build/bench/core/password_bench
#include <cstdint>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/base64.h"
#include "core/credential_cache.h"
#include "core/password_file.h"
#include "core/password_hash.h"

namespace ringmq {
namespace {

constexpr std::string_view kPassword = "device-password-0123456789";

PasswordFile FileWith(const std::string& line) {
  absl::StatusOr<PasswordFile> file = PasswordFile::Parse(line + "\n");
  if (!file.ok()) std::abort();
  return *std::move(file);
}

std::string Pbkdf2Line(int iterations) {
  std::vector<uint8_t> salt(12, 0x42);
  return HashPasswordLine("device", kPassword, iterations, salt);
}

std::string Sha512Line() {
  PasswordHash hash;
  hash.scheme = PasswordScheme::kSha512;
  hash.iterations = 1;
  hash.salt.assign(12, 0x42);
  hash.digest = ComputePasswordDigest(hash.scheme, 1, hash.salt, kPassword);
  return "device:" + hash.Format();
}

void BM_VerifyPbkdf2(benchmark::State& state) {
  PasswordFile file = FileWith(Pbkdf2Line(static_cast<int>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(file.Verify("device", kPassword));
}
BENCHMARK(BM_VerifyPbkdf2)->Arg(101)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_VerifyPbkdf2UnknownUser(benchmark::State& state) {
  PasswordFile file = FileWith(Pbkdf2Line(static_cast<int>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(file.Verify("stranger", kPassword));
}
BENCHMARK(BM_VerifyPbkdf2UnknownUser)->Arg(101)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_VerifySha512(benchmark::State& state) {
  PasswordFile file = FileWith(Sha512Line());
  for (auto _ : state) benchmark::DoNotOptimize(file.Verify("device", kPassword));
}
BENCHMARK(BM_VerifySha512)->Unit(benchmark::kMicrosecond);

void BM_CacheHit(benchmark::State& state) {
  PasswordFile file = FileWith(Pbkdf2Line(1000));
  CredentialCache cache;
  if (!cache.Verify(file, "device", kPassword)) std::abort();
  for (auto _ : state) benchmark::DoNotOptimize(cache.Verify(file, "device", kPassword));
  state.counters["hits"] = static_cast<double>(cache.hits());
}
BENCHMARK(BM_CacheHit)->Unit(benchmark::kMicrosecond);

// A wrong password from a remembered device: a miss that pays the full hash, as it must.
void BM_CacheWrongPassword(benchmark::State& state) {
  PasswordFile file = FileWith(Pbkdf2Line(1000));
  CredentialCache cache;
  if (!cache.Verify(file, "device", kPassword)) std::abort();
  for (auto _ : state) benchmark::DoNotOptimize(cache.Verify(file, "device", "guess"));
}
BENCHMARK(BM_CacheWrongPassword)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ringmq

BENCHMARK_MAIN();
