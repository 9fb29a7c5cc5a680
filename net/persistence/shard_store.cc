#include "net/persistence/shard_store.h"

#include <utility>

#include "net/log.h"

namespace ringmq {

ShardStore::ShardStore(std::unique_ptr<DurableLog> log, Mode mode, std::chrono::milliseconds flush_interval,
                       std::function<void()> on_durable)
    : mode_(mode), flush_interval_(flush_interval), on_durable_(std::move(on_durable)), log_(std::move(log)) {
  stats_.log_bytes.Set(log_->file_bytes());
  writer_ = std::thread([this] { WriterLoop(); });
}

ShardStore::~ShardStore() {
  CommitTurn();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_writer_.notify_one();
  writer_.join();
}

void ShardStore::CommitTurn() {
  if (open_batch_.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (closed_batches_.empty()) {
      closed_batches_.swap(open_batch_);
    } else {
      closed_batches_.append(open_batch_);
    }
    closed_ticket_ = open_ticket_;
    closed_records_ += open_records_;
  }
  open_batch_.clear();
  open_records_ = 0;
  ++open_ticket_;
  if (mode_ == Mode::kSync) wake_writer_.notify_one();
}

void ShardStore::WriterLoop() {
  std::string batch;
  std::unique_lock lock(mu_);
  for (;;) {
    auto ready = [this] {
      return stopping_ || compaction_copied_ || (mode_ == Mode::kSync && !closed_batches_.empty());
    };
    if (mode_ == Mode::kSync) {
      wake_writer_.wait(lock, ready);
    } else {
      wake_writer_.wait_for(lock, flush_interval_, ready);
    }
    const bool copied = std::exchange(compaction_copied_, false);
    const bool stopping = stopping_;
    batch.clear();
    batch.swap(closed_batches_);
    const uint64_t ticket = closed_ticket_;
    const uint64_t records = std::exchange(closed_records_, 0);
    lock.unlock();
    const auto write_start = std::chrono::steady_clock::now();
    if (!batch.empty() && WriteDurably(batch)) {
      // Counted first: whoever sees the ticket durable (release/acquire) sees the commit counted.
      CountCommit(records, batch.size(), std::chrono::steady_clock::now() - write_start);
      durable_ticket_.store(ticket, std::memory_order_release);
      if (on_durable_) on_durable_();
    }
    if (copied || (stopping && compactor_.joinable())) FinishCompaction();
    if (stopping) return;  // the destructor closed the last batch before it set stopping_
    if (!compactor_.joinable() && log_->WantsCompaction() && std::chrono::steady_clock::now() >= next_compaction_) {
      StartCompaction();
    }
    lock.lock();
  }
}

void ShardStore::StartCompaction() {
  absl::StatusOr<std::unique_ptr<DurableLog::Compaction>> compaction = log_->StartCompaction();
  if (!compaction.ok()) {
    Log(LogLevel::kError, "persistence: compaction of %s not started (next try in 60 s): %s", log_->path(),
        compaction.status().ToString());
    next_compaction_ = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    return;
  }
  compaction_ = *std::move(compaction);
  compactor_ = std::thread([this] {
    (void)compaction_->Run();  // FinishCompaction reports its outcome
    {
      std::lock_guard lock(mu_);
      compaction_copied_ = true;
    }
    wake_writer_.notify_one();
  });
}

void ShardStore::FinishCompaction() {
  compactor_.join();
  const uint64_t before = log_->file_bytes();
  if (absl::Status status = log_->FinishCompaction(std::move(compaction_)); status.ok()) {
    stats_.compactions.Add(1);
    stats_.log_bytes.Set(log_->file_bytes());
    Log(LogLevel::kInfo, "persistence: compacted %s from %llu to %llu bytes (%zu live records)", log_->path(),
        static_cast<unsigned long long>(before), static_cast<unsigned long long>(log_->file_bytes()),
        log_->live_keys());
  } else {
    Log(LogLevel::kError, "persistence: compaction of %s failed, the log stays as it was (next try in 60 s): %s",
        log_->path(), status.ToString());
    next_compaction_ = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  }
}

void ShardStore::CountCommit(uint64_t records, uint64_t bytes, std::chrono::steady_clock::duration took) {
  stats_.commits.Add(1);
  stats_.records.Add(records);
  stats_.bytes.Add(bytes);
  stats_.log_bytes.Set(log_->file_bytes());
  stats_.ObserveLatency(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()));
}

bool ShardStore::WriteDurably(const std::string& batch) {
  // A failing disk (full, say) is retried: in sync mode nothing in the batch has been acknowledged,
  // so waiting is right; giving up would acknowledge records that are not on disk.
  bool appended = false;
  for (int attempt = 0;; ++attempt) {
    absl::Status status = appended ? absl::OkStatus() : log_->Append(batch);
    appended = status.ok();
    if (status.ok()) status = log_->Sync();
    if (status.ok()) return true;
    if (attempt == 0 || attempt % 100 == 0) {
      Log(LogLevel::kError, "persistence: writing %s failed, retrying: %s", log_->path(), status.ToString());
    }
    {
      std::unique_lock lock(mu_);
      if (stopping_ && attempt >= 10) {
        Log(LogLevel::kError, "persistence: giving up on %zu bytes not written to %s", batch.size(), log_->path());
        return false;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace ringmq
