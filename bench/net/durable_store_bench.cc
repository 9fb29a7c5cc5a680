// The storage engine behind --data_dir, measured against RocksDB (README "Persistence" has the figures
// and the choice). Both make every group of N records durable with one sync: DurableLog appends the
// batch and fdatasyncs, RocksDB writes a WriteBatch with WriteOptions::sync (its WAL, fdatasync'ed).
//
//   build/bench/net/durable_store_bench --benchmark_filter=Commit      records/s, 64 B and 1 KiB, N = 1, 64, 1024
//   build/bench/net/durable_store_bench --benchmark_filter=Recover     replaying 1 M records
//   build/bench/net/durable_store_bench --benchmark_filter=Compact     compacting 1 M live of 2 M records
//
// Files go to $RINGMQ_BENCH_DIR (default /tmp): the disk measured is that directory's.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/persistence/durable_log.h"

#ifdef RINGMQ_HAVE_ROCKSDB
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#endif

namespace ringmq {
namespace {

constexpr int kRecoveryRecords = 1'000'000;
constexpr int kTopics = 100'000;  // commits overwrite a fleet of this many topics, as retained updates do

std::string BenchDir(const std::string& name) {
  const char* root = getenv("RINGMQ_BENCH_DIR");
  std::string dir = absl::StrCat(root != nullptr ? root : "/tmp", "/durable_store_bench.", name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string Key(int i) { return absl::StrFormat("rfleet/region-%02d/vehicle-%07d/state", i % 50, i); }

std::unique_ptr<DurableLog> OpenLog(const std::string& path) {
  DurableLog::Options options;
  options.min_compaction_bytes = uint64_t{1} << 40;  // compaction is measured on its own, not here
  absl::StatusOr<DurableLog::Opened> opened = DurableLog::Open(path, options, [](std::string_view, std::string_view) {});
  if (!opened.ok()) {
    fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    abort();
  }
  return std::move(opened->log);
}

// Args: value bytes, records per durable commit.
void BM_LogCommit(benchmark::State& state) {
  const std::string value(state.range(0), 'v');
  const int per_commit = static_cast<int>(state.range(1));
  const std::string dir = BenchDir("log");
  std::unique_ptr<DurableLog> log = OpenLog(dir + "/shard-0.log");
  std::string batch;
  int i = 0;
  for (auto _ : state) {
    AppendRecord(RecordOp::kPut, Key(i % kTopics), value, batch);
    if (++i % per_commit == 0) {
      if (!log->Append(batch).ok() || !log->Sync().ok()) state.SkipWithError("write failed");
      batch.clear();
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(value.size()));
  log.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_LogCommit)->ArgsProduct({{64, 1024}, {1, 64, 1024}})->UseRealTime()->MinTime(1.0);

void WriteLogRecords(const std::string& path, int records, size_t value_size) {
  std::unique_ptr<DurableLog> log = OpenLog(path);
  const std::string value(value_size, 'v');
  std::string batch;
  for (int i = 0; i < records; ++i) {
    AppendRecord(RecordOp::kPut, Key(i), value, batch);
    if (batch.size() >= (4u << 20) || i + 1 == records) {
      if (!log->Append(batch).ok()) abort();
      batch.clear();
    }
  }
  if (!log->Sync().ok()) abort();
}

// Arg: value bytes. Replays kRecoveryRecords distinct keys (file in the page cache: the CPU side).
void BM_LogRecover(benchmark::State& state) {
  const std::string dir = BenchDir("log_recover");
  const std::string path = dir + "/shard-0.log";
  WriteLogRecords(path, kRecoveryRecords, state.range(0));
  for (auto _ : state) {
    size_t bytes = 0;
    absl::StatusOr<DurableLog::Opened> opened = DurableLog::Open(
        path, {}, [&bytes](std::string_view key, std::string_view value) { bytes += key.size() + value.size(); });
    if (!opened.ok() || opened->replay.live_keys != kRecoveryRecords) state.SkipWithError("replay failed");
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["file_MB"] = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
  state.SetItemsProcessed(state.iterations() * kRecoveryRecords);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_LogRecover)->Arg(64)->Arg(1024)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

// Compacting a log of 1 M live records that has grown to twice their size (each key written twice):
// how long the writer's commits wait for it (the shard loop does not).
void BM_LogCompact(benchmark::State& state) {
  const std::string dir = BenchDir("log_compact");
  const std::string path = dir + "/shard-0.log";
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::remove(path);
    WriteLogRecords(path, kRecoveryRecords, state.range(0));
    {
      std::unique_ptr<DurableLog> log = OpenLog(path);
      std::string batch;
      const std::string value(state.range(0), 'w');
      for (int i = 0; i < kRecoveryRecords; ++i) {
        AppendRecord(RecordOp::kPut, Key(i), value, batch);
        if (batch.size() >= (4u << 20) || i + 1 == kRecoveryRecords) {
          if (!log->Append(batch).ok()) abort();
          batch.clear();
        }
      }
      if (!log->Sync().ok()) abort();
    }
    DurableLog::Options options;
    options.min_compaction_bytes = 0;
    absl::StatusOr<DurableLog::Opened> opened = DurableLog::Open(path, options, [](std::string_view, std::string_view) {});
    if (!opened.ok() || !opened->log->WantsCompaction()) state.SkipWithError("no compaction due");
    state.ResumeTiming();
    if (!opened->log->Compact().ok()) state.SkipWithError("compaction failed");
  }
  state.counters["live_MB"] = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_LogCompact)->Arg(64)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

#ifdef RINGMQ_HAVE_ROCKSDB
std::unique_ptr<rocksdb::DB> OpenRocks(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(options, dir, &db);
  if (!status.ok()) {
    fprintf(stderr, "%s\n", status.ToString().c_str());
    abort();
  }
  return std::unique_ptr<rocksdb::DB>(db);
}

void BM_RocksDbCommit(benchmark::State& state) {
  const std::string value(state.range(0), 'v');
  const int per_commit = static_cast<int>(state.range(1));
  const std::string dir = BenchDir("rocksdb");
  std::unique_ptr<rocksdb::DB> db = OpenRocks(dir);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  rocksdb::WriteBatch batch;
  int i = 0;
  for (auto _ : state) {
    batch.Put(Key(i % kTopics), value);
    if (++i % per_commit == 0) {
      if (!db->Write(sync, &batch).ok()) state.SkipWithError("write failed");
      batch.Clear();
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(value.size()));
  db.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RocksDbCommit)->ArgsProduct({{64, 1024}, {1, 64, 1024}})->UseRealTime()->MinTime(1.0);

// A restart with RocksDB: open the database (replaying its WAL) and read every record, as the broker
// would to fill its retained replicas.
void BM_RocksDbRecover(benchmark::State& state) {
  const std::string dir = BenchDir("rocksdb_recover");
  {
    std::unique_ptr<rocksdb::DB> db = OpenRocks(dir);
    const std::string value(state.range(0), 'v');
    rocksdb::WriteBatch batch;
    rocksdb::WriteOptions sync;
    sync.sync = true;
    for (int i = 0; i < kRecoveryRecords; ++i) {
      batch.Put(Key(i), value);
      if (batch.Count() == 4096 || i + 1 == kRecoveryRecords) {
        if (!db->Write(sync, &batch).ok()) abort();
        batch.Clear();
      }
    }
  }
  for (auto _ : state) {
    std::unique_ptr<rocksdb::DB> db = OpenRocks(dir);
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    size_t bytes = 0;
    size_t count = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      bytes += it->key().size() + it->value().size();
      ++count;
    }
    if (count != kRecoveryRecords) state.SkipWithError("replay failed");
    benchmark::DoNotOptimize(bytes);
  }
  uint64_t disk = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) disk += entry.file_size();
  }
  state.counters["file_MB"] = static_cast<double>(disk) / 1e6;
  state.SetItemsProcessed(state.iterations() * kRecoveryRecords);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RocksDbRecover)->Arg(64)->Arg(1024)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
#endif

}  // namespace
}  // namespace ringmq

BENCHMARK_MAIN();
