// ShardStore: one shard's durable keyed records, saved without stalling the shard's loop.
//
// The shard thread adds records to an open batch as it changes state (Put, Delete) and closes the
// batch once per loop turn (CommitTurn): that is the group commit, one fdatasync for everything a
// turn changed. A writer thread of its own appends closed batches to the DurableLog and syncs them:
//   sync:  as soon as a batch is closed; batches closed while a sync runs share the next one. The
//          shard learns that a batch is durable from durable_ticket() and its wake callback, and only
//          then acknowledges what the batch holds.
//   async: every flush_interval; a crash loses at most that much.
// The writer also starts a compaction when the log has grown past twice its live records; the copy
// runs on a thread of its own while batches go on being written (DurableLog::Compaction), and the
// writer finishes it between batches.
//
// Thread ownership: Put, Delete, CommitTurn and open_ticket belong to the shard thread;
// durable_ticket and stats may be read by any thread; the writer thread is internal.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "net/persistence/commit_latency.h"
#include "net/persistence/durable_log.h"

namespace ringmq {

class ShardStore {
 public:
  enum class Mode : uint8_t { kAsync, kSync };

  // `on_durable` runs on the writer thread after each sync (the shard wakes its loop with it).
  ShardStore(std::unique_ptr<DurableLog> log, Mode mode, std::chrono::milliseconds flush_interval,
             std::function<void()> on_durable);
  // Commits the open batch and waits until everything is durable.
  ~ShardStore();
  ShardStore(const ShardStore&) = delete;
  ShardStore& operator=(const ShardStore&) = delete;

  void Put(std::string_view key, std::string_view value) {
    AppendRecord(RecordOp::kPut, key, value, open_batch_);
    ++open_records_;
  }
  void Delete(std::string_view key) {
    AppendRecord(RecordOp::kDelete, key, {}, open_batch_);
    ++open_records_;
  }

  // The batch the records added since the last CommitTurn belong to; durable once durable_ticket()
  // reaches it.
  uint64_t open_ticket() const { return open_ticket_; }
  // Closes the open batch (if it holds anything) and hands it to the writer.
  void CommitTurn();
  // Every batch up to this ticket is durable.
  uint64_t durable_ticket() const { return durable_ticket_.load(std::memory_order_acquire); }

  Mode mode() const { return mode_; }
  uint64_t commits() const { return stats_.commits.Get(); }
  uint64_t compactions() const { return stats_.compactions.Get(); }
  // What the writer thread publishes for the metrics (any thread may read it).
  const CommitStats& stats() const { return stats_; }
  // Start-up (main thread, before the shards start): what the replay of this store's log cut off.
  void SetRecoveryDroppedBytes(uint64_t bytes) { stats_.recovery_dropped_bytes.Set(bytes); }

 private:
  void WriterLoop();
  // Appends and syncs `batch` until it succeeds or the store stops; true when it is durable.
  bool WriteDurably(const std::string& batch);
  // Writer thread: publishes one durable group commit to stats_.
  void CountCommit(uint64_t records, uint64_t bytes, std::chrono::steady_clock::duration took);
  void StartCompaction();   // writer thread; when the log wants one and none runs
  void FinishCompaction();  // writer thread; joins the copying thread

  const Mode mode_;
  const std::chrono::milliseconds flush_interval_;
  const std::function<void()> on_durable_;
  std::unique_ptr<DurableLog> log_;  // the writer thread's

  std::string open_batch_;   // shard thread
  uint64_t open_ticket_ = 1;  // shard thread
  uint64_t open_records_ = 0;  // shard thread: records in open_batch_

  std::mutex mu_;
  std::condition_variable wake_writer_;
  std::string closed_batches_;  // guarded by mu_
  uint64_t closed_ticket_ = 0;  // guarded by mu_: the last ticket in closed_batches_
  uint64_t closed_records_ = 0;  // guarded by mu_: records in closed_batches_
  bool stopping_ = false;       // guarded by mu_
  bool compaction_copied_ = false;  // guarded by mu_: the copying thread is done

  std::unique_ptr<DurableLog::Compaction> compaction_;  // writer thread (and the copier, while it runs)
  std::thread compactor_;
  // After a failed compaction (disk full, say) the next waits a while instead of failing per batch.
  std::chrono::steady_clock::time_point next_compaction_ = {};  // writer thread

  std::atomic<uint64_t> durable_ticket_{0};
  CommitStats stats_;  // written by the writer thread (recovery_dropped_bytes: at start-up)
  std::thread writer_;
};

}  // namespace ringmq
