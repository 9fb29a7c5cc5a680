#include "net/persistence/shard_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"

namespace ringmq {
namespace {

using namespace std::chrono_literals;

class ShardStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/shard_store_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/shard-0.log";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<ShardStore> Start(ShardStore::Mode mode, std::chrono::milliseconds flush = 50ms) {
    absl::StatusOr<DurableLog::Opened> opened = DurableLog::Open(path_, {}, [](std::string_view, std::string_view) {});
    EXPECT_TRUE(opened.ok()) << opened.status();
    return std::make_unique<ShardStore>(std::move(opened->log), mode, flush, [this] { wakes_.fetch_add(1); });
  }

  std::map<std::string, std::string> Reopen() {
    std::map<std::string, std::string> records;
    absl::StatusOr<DurableLog::Opened> opened = DurableLog::Open(
        path_, {}, [&](std::string_view key, std::string_view value) { records.emplace(key, value); });
    EXPECT_TRUE(opened.ok()) << opened.status();
    return records;
  }

  // Waits (bounded) until `store` says `ticket` is durable.
  static bool WaitDurable(const ShardStore& store, uint64_t ticket) {
    for (int i = 0; i < 500 && store.durable_ticket() < ticket; ++i) std::this_thread::sleep_for(10ms);
    return store.durable_ticket() >= ticket;
  }

  std::string dir_;
  std::string path_;
  std::atomic<int> wakes_{0};
};

TEST_F(ShardStoreTest, SyncModeMakesEachTurnDurableAndWakesTheShard) {
  auto store = Start(ShardStore::Mode::kSync);
  store->Put("ra", "1");
  store->Put("rb", "2");
  const uint64_t first = store->open_ticket();
  store->CommitTurn();
  EXPECT_EQ(store->open_ticket(), first + 1);
  ASSERT_TRUE(WaitDurable(*store, first));
  EXPECT_GE(wakes_.load(), 1);
  // Durable means on disk: another reader sees it while the store is still running.
  EXPECT_EQ(Reopen(), (std::map<std::string, std::string>{{"ra", "1"}, {"rb", "2"}}));
  store->Delete("ra");
  const uint64_t second = store->open_ticket();
  store->CommitTurn();
  ASSERT_TRUE(WaitDurable(*store, second));
  EXPECT_EQ(Reopen(), (std::map<std::string, std::string>{{"rb", "2"}}));
}

TEST_F(ShardStoreTest, AnEmptyTurnCommitsNothing) {
  auto store = Start(ShardStore::Mode::kSync);
  const uint64_t ticket = store->open_ticket();
  store->CommitTurn();
  EXPECT_EQ(store->open_ticket(), ticket);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(store->commits(), 0u);
}

TEST_F(ShardStoreTest, AsyncModeSavesWithinTheFlushInterval) {
  auto store = Start(ShardStore::Mode::kAsync, 20ms);
  for (int turn = 0; turn < 100; ++turn) {
    store->Put(absl::StrCat("r", turn % 10), absl::StrCat(turn));
    store->CommitTurn();
  }
  const uint64_t last = store->open_ticket() - 1;
  ASSERT_TRUE(WaitDurable(*store, last));
  EXPECT_LT(store->commits(), 100u);  // turns were grouped into few syncs
  const auto records = Reopen();
  ASSERT_EQ(records.size(), 10u);
  EXPECT_EQ(records.at("r9"), "99");
}

TEST_F(ShardStoreTest, StatsCountCommitsRecordsBytesAndLatency) {
  auto store = Start(ShardStore::Mode::kAsync, 20ms);
  for (int turn = 0; turn < 50; ++turn) {
    store->Put(absl::StrCat("r", turn % 10), absl::StrCat(turn));
    if (turn % 5 == 4) store->Delete(absl::StrCat("r", turn % 10));
    store->CommitTurn();
  }
  ASSERT_TRUE(WaitDurable(*store, store->open_ticket() - 1));
  const CommitStats& stats = store->stats();
  EXPECT_EQ(stats.records.Get(), 60u);  // 50 puts, 10 deletes
  EXPECT_GE(stats.commits.Get(), 1u);
  EXPECT_EQ(stats.commits.Get(), store->commits());
  // Every byte appended is in the file after its 8-byte magic, and the gauge says the file's size.
  EXPECT_EQ(stats.log_bytes.Get(), std::filesystem::file_size(path_));
  EXPECT_EQ(stats.bytes.Get() + 8, stats.log_bytes.Get());
  // The histogram is cumulative and its +Inf bucket counts every commit.
  EXPECT_EQ(stats.latency_buckets[kCommitLatencyBuckets].Get(), stats.commits.Get());
  for (size_t i = 1; i <= kCommitLatencyBuckets; ++i) {
    EXPECT_LE(stats.latency_buckets[i - 1].Get(), stats.latency_buckets[i].Get()) << i;
  }
  EXPECT_GT(stats.latency_sum_ns.Get(), 0u);
  EXPECT_EQ(stats.recovery_dropped_bytes.Get(), 0u);
  store->SetRecoveryDroppedBytes(13);
  EXPECT_EQ(stats.recovery_dropped_bytes.Get(), 13u);
}

TEST_F(ShardStoreTest, DestructionSavesWhatTheLastTurnLeftOpen) {
  {
    auto store = Start(ShardStore::Mode::kAsync, 10s);
    store->Put("rlast", "saved at shutdown");
  }
  EXPECT_EQ(Reopen(), (std::map<std::string, std::string>{{"rlast", "saved at shutdown"}}));
}

TEST_F(ShardStoreTest, ManyTurnsShareSyncsUnderLoad) {
  auto store = Start(ShardStore::Mode::kSync);
  const auto start = std::chrono::steady_clock::now();
  uint64_t last = 0;
  for (int turn = 0; turn < 2000; ++turn) {
    store->Put(absl::StrCat("r", turn % 100), std::string(64, 'v'));
    last = store->open_ticket();
    store->CommitTurn();
  }
  ASSERT_TRUE(WaitDurable(*store, last));
  // Group commit: a sync per turn would take about a second at this disk's ~2,600 fdatasync/s.
  EXPECT_LT(store->commits(), 2000u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(ShardStoreTest, CompactsInTheBackgroundAndKeepsLatestValues) {
  DurableLog::Options options;
  options.min_compaction_bytes = 16 * 1024;
  absl::StatusOr<DurableLog::Opened> opened = DurableLog::Open(path_, options, [](std::string_view, std::string_view) {});
  ASSERT_TRUE(opened.ok());
  auto store = std::make_unique<ShardStore>(std::move(opened->log), ShardStore::Mode::kSync, 50ms, nullptr);
  uint64_t last = 0;
  for (int turn = 0; turn < 3000; ++turn) {
    store->Put(absl::StrCat("r", turn % 20), absl::StrCat(turn, std::string(100, '.')));
    last = store->open_ticket();
    store->CommitTurn();
  }
  ASSERT_TRUE(WaitDurable(*store, last));
  for (int i = 0; i < 500 && store->compactions() == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_GT(store->compactions(), 0u);
  store.reset();
  EXPECT_LT(std::filesystem::file_size(path_), 3000u * 100 / 4);  // bounded: well below all that was written
  const auto records = Reopen();
  ASSERT_EQ(records.size(), 20u);
  EXPECT_EQ(records.at("r19"), absl::StrCat(2999, std::string(100, '.')));
  EXPECT_EQ(records.at("r0"), absl::StrCat(2980, std::string(100, '.')));
}

}  // namespace
}  // namespace ringmq
