// DurableLog: one shard's append-only file of keyed records (put or delete), the storage engine under
// --data_dir. A key's latest record wins; a delete removes the key.
//
// Why a log of our own and not RocksDB: see README "Persistence" (measured with
// bench/net/durable_store_bench.cc). In short: durability costs one fdatasync per group commit either
// way, and the log restarts faster and needs no library.
//
// File: an 8-byte magic, then records [crc32c u32][body length u32][body], the crc covering the length
// and the body; body = [op u8][key length u32][key][value], integers little-endian. A crash can leave
// a torn record at the end, and a bad disk a corrupt one anywhere: replay stops at the first record
// whose length or checksum is wrong, keeps everything before it, cuts the file there and reports what
// it dropped (records after a corrupt one cannot be framed reliably, so they go too).
//
// Bounded growth: the log keeps an index of where each live key's latest record is; once the file is
// more than twice the live records (and past a floor), compaction rewrites the live records to a new
// file and renames it over the old one, so a crash during compaction leaves one complete file. The
// copy runs on a thread of its own while appends go on (a 1 M-record log takes seconds to rewrite on
// a busy disk, and in sync mode acknowledgements wait for appends); only the records appended
// meanwhile are copied by the owner at the end.
//
// Thread ownership: one thread at a time. The broker's main thread opens (replays) it, then hands it
// to its shard's writer thread (net/persistence/shard_store.h), which alone appends, syncs and compacts.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ringmq {

enum class RecordOp : uint8_t { kPut = 1, kDelete = 2 };

// Where a key's latest record is in its log.
struct Location {
  uint64_t offset = 0;
  uint32_t size = 0;  // whole record
};

// Appends one encoded record to `batch`; DurableLog::Append takes any concatenation of them.
void AppendRecord(RecordOp op, std::string_view key, std::string_view value, std::string& batch);

// What replaying a log found.
struct LogReplay {
  uint64_t records = 0;        // valid records read
  uint64_t live_keys = 0;      // keys holding a value afterwards
  uint64_t file_bytes = 0;     // valid bytes kept
  uint64_t dropped_bytes = 0;  // bytes cut off at the first invalid record
  std::string dropped_reason;  // why (empty: the file was intact)
};

class DurableLog {
 public:
  struct Options {
    uint64_t min_compaction_bytes = uint64_t{64} << 20;  // no compaction below this file size
    uint64_t compaction_ratio = 2;                       // compact when file > ratio x live bytes
  };
  // Called once per live key after the replay, with its latest value.
  using Visitor = absl::FunctionRef<void(std::string_view key, std::string_view value)>;

  struct Opened {
    std::unique_ptr<DurableLog> log;
    LogReplay replay;
  };
  // Opens `path` (creating it if absent), replays it and hands every live record to `visit`. An
  // invalid tail is cut off (see LogReplay); a file that is not a log at all is an error.
  static absl::StatusOr<Opened> Open(const std::string& path, const Options& options, Visitor visit);

  ~DurableLog();
  DurableLog(const DurableLog&) = delete;
  DurableLog& operator=(const DurableLog&) = delete;

  // Writes `batch` (records from AppendRecord) at the end of the file; not yet durable. On failure the
  // file is cut back to where it was, so a later append does not follow a torn record.
  absl::Status Append(std::string_view batch);
  // Makes every appended record durable (fdatasync).
  absl::Status Sync();

  bool WantsCompaction() const;

  // A compaction in three steps: StartCompaction (owner thread) snapshots the index and the file's
  // length; Run (any one thread, while the owner goes on appending) writes the snapshot's live
  // records to DIR/NAME.compact and syncs it; FinishCompaction (owner thread) copies what was
  // appended since the snapshot, renames the new file over the log and moves the index to it.
  // Dropping an unfinished Compaction removes its file.
  class Compaction {
   public:
    ~Compaction();
    absl::Status Run();

   private:
    friend class DurableLog;
    Compaction() = default;
    std::string source_path_;
    std::string temp_path_;
    int source_fd_ = -1;
    int out_fd_ = -1;
    uint64_t snapshot_end_ = 0;
    uint64_t written_ = 0;
    absl::flat_hash_map<std::string, Location> snapshot_;  // Run moves the offsets to the new file
    absl::Status status_ = absl::UnknownError("not run");
  };
  absl::StatusOr<std::unique_ptr<Compaction>> StartCompaction();
  absl::Status FinishCompaction(std::unique_ptr<Compaction> compaction);
  // All three steps on this thread.
  absl::Status Compact();

  const std::string& path() const { return path_; }
  uint64_t file_bytes() const { return file_bytes_; }
  uint64_t live_bytes() const { return live_bytes_; }
  size_t live_keys() const { return index_.size(); }

 private:
  DurableLog(std::string path, int fd, const Options& options);
  // Replays the mapped file; returns where the valid records end.
  uint64_t IndexRecords(std::string_view file, LogReplay& replay);
  // Applies one record found at `offset` to the index.
  void Index(RecordOp op, std::string_view key, uint64_t offset, uint32_t size);

  std::string path_;
  int fd_ = -1;
  Options options_;
  uint64_t file_bytes_ = 0;
  uint64_t live_bytes_ = 0;
  absl::flat_hash_map<std::string, Location> index_;
};

}  // namespace ringmq
