#include "net/persistence/shard_store.h"

#include "net/log.h"

namespace ringmq {

ShardStore::ShardStore(std::unique_ptr<DurableLog> log, Mode mode, std::chrono::milliseconds flush_interval,
                       std::function<void()> on_durable)
    : mode_(mode), flush_interval_(flush_interval), on_durable_(std::move(on_durable)), log_(std::move(log)) {
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
  }
  open_batch_.clear();
  ++open_ticket_;
  if (mode_ == Mode::kSync) wake_writer_.notify_one();
}

void ShardStore::WriterLoop() {
  std::string batch;
  std::unique_lock lock(mu_);
  for (;;) {
    if (mode_ == Mode::kSync) {
      wake_writer_.wait(lock, [this] { return stopping_ || !closed_batches_.empty(); });
    } else {
      wake_writer_.wait_for(lock, flush_interval_, [this] { return stopping_; });
    }
    if (closed_batches_.empty()) {
      if (stopping_) return;
      continue;
    }
    batch.clear();
    batch.swap(closed_batches_);
    const uint64_t ticket = closed_ticket_;
    lock.unlock();
    if (WriteDurably(batch)) {
      durable_ticket_.store(ticket, std::memory_order_release);
      commits_.fetch_add(1, std::memory_order_relaxed);
      if (on_durable_) on_durable_();
      if (log_->WantsCompaction()) {
        const uint64_t before = log_->file_bytes();
        if (absl::Status status = log_->Compact(); status.ok()) {
          compactions_.fetch_add(1, std::memory_order_relaxed);
          Log(LogLevel::kInfo, "persistence: compacted %s from %llu to %llu bytes (%zu live records)", log_->path(),
              static_cast<unsigned long long>(before), static_cast<unsigned long long>(log_->file_bytes()),
              log_->live_keys());
        } else {
          Log(LogLevel::kError, "persistence: compaction of %s failed, the log stays as it was: %s", log_->path(),
              status.ToString());
        }
      }
    }
    lock.lock();
  }
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
