#include "net/persistence/durable_log.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/crc32c.h"

namespace ringmq {
namespace {

constexpr std::string_view kMagic = "RMQLOG1\n";
constexpr size_t kHeaderSize = 8;                     // crc + body length
constexpr size_t kBodyPrefix = 5;                     // op + key length
constexpr uint32_t kMaxBody = uint32_t{1} << 30;      // larger is a corrupt length, not a record

void PutU32(uint32_t v, char* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(v >> (8 * i));
}

uint32_t GetU32(const char* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(in[i])} << (8 * i);
  return v;
}

struct ParsedRecord {
  RecordOp op = RecordOp::kPut;
  std::string_view key;
  std::string_view value;
  uint32_t size = 0;            // header + body
  const char* error = nullptr;  // set when the bytes at this offset are not a valid record
};

// `verified`: the bytes were checked before (a replay visiting the records it indexed).
ParsedRecord ParseRecord(std::string_view bytes, bool verified = false) {
  ParsedRecord record;
  if (bytes.size() < kHeaderSize) return {.error = "truncated record header"};
  const uint32_t body_size = GetU32(bytes.data() + 4);
  if (body_size < kBodyPrefix || body_size > kMaxBody) return {.error = "invalid record length"};
  if (bytes.size() - kHeaderSize < body_size) return {.error = "truncated record"};
  const std::string_view checked = bytes.substr(4, 4 + body_size);
  if (!verified && Crc32c(checked) != GetU32(bytes.data())) return {.error = "checksum mismatch"};
  const std::string_view body = checked.substr(4);
  const uint8_t op = static_cast<uint8_t>(body[0]);
  const uint32_t key_size = GetU32(body.data() + 1);
  if ((op != 1 && op != 2) || key_size > body.size() - kBodyPrefix) return {.error = "invalid record body"};
  record.op = static_cast<RecordOp>(op);
  record.key = body.substr(kBodyPrefix, key_size);
  record.value = body.substr(kBodyPrefix + key_size);
  record.size = static_cast<uint32_t>(kHeaderSize + body_size);
  return record;
}

// Abseil here is built with its own string_view, not std's.
absl::string_view AbslView(std::string_view text) { return absl::string_view(text.data(), text.size()); }

absl::Status ErrnoError(const char* what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", strerror(errno)));
}

absl::Status WriteAll(int fd, std::string_view bytes, uint64_t offset, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError("write", path);
    bytes.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
}

// The directory entry of a renamed or created file is durable only once its directory is synced.
absl::Status SyncDirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, std::max<size_t>(slash, 1));
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open directory", dir);
  const int rc = fsync(fd);
  close(fd);
  return rc == 0 ? absl::OkStatus() : ErrnoError("fsync directory", dir);
}

// A read-only view of a whole file; empty for an empty file.
class Mapping {
 public:
  Mapping(int fd, uint64_t size) : size_(size) {
    if (size > 0) {
      void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        data_ = static_cast<const char*>(p);
        madvise(p, size, MADV_SEQUENTIAL);
      }
    }
  }
  ~Mapping() {
    if (data_ != nullptr) munmap(const_cast<char*>(data_), size_);
  }
  bool ok() const { return size_ == 0 || data_ != nullptr; }
  std::string_view bytes() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  uint64_t size_;
};

}  // namespace

void AppendRecord(RecordOp op, std::string_view key, std::string_view value, std::string& batch) {
  const size_t start = batch.size();
  const uint32_t body_size = static_cast<uint32_t>(kBodyPrefix + key.size() + value.size());
  batch.resize(start + kHeaderSize + kBodyPrefix);
  char* header = batch.data() + start;
  PutU32(body_size, header + 4);
  header[8] = static_cast<char>(op);
  PutU32(static_cast<uint32_t>(key.size()), header + 9);
  batch.append(key);
  batch.append(value);
  const uint32_t crc = Crc32c(std::string_view(batch).substr(start + 4, 4 + body_size));
  PutU32(crc, batch.data() + start);
}

DurableLog::DurableLog(std::string path, int fd, const Options& options)
    : path_(std::move(path)), fd_(fd), options_(options) {}

DurableLog::~DurableLog() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<DurableLog::Opened> DurableLog::Open(const std::string& path, const Options& options, Visitor visit) {
  unlink((path + ".compact").c_str());  // left by a crash during compaction; the log itself is whole
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoError("open", path);
  Opened opened;
  opened.log.reset(new DurableLog(path, fd, options));
  DurableLog& log = *opened.log;
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoError("stat", path);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size == 0) {  // a new log
    if (absl::Status status = WriteAll(fd, kMagic, 0, path); !status.ok()) return status;
    if (fdatasync(fd) != 0) return ErrnoError("fdatasync", path);
    if (absl::Status status = SyncDirectoryOf(path); !status.ok()) return status;
    log.file_bytes_ = kMagic.size();
    opened.replay.file_bytes = log.file_bytes_;
    return opened;
  }
  uint64_t valid_end = 0;
  {
    Mapping mapping(fd, size);
    if (!mapping.ok()) return ErrnoError("mmap", path);
    const std::string_view file = mapping.bytes();
    if (size < kMagic.size() && kMagic.starts_with(file)) {
      valid_end = 0;  // torn while the magic was written: start over
    } else if (!file.starts_with(kMagic)) {
      return absl::FailedPreconditionError(absl::StrCat(path, " is not a ringmq log (bad magic)"));
    } else {
      valid_end = log.IndexRecords(file, opened.replay);
      for (const auto& [key, location] : log.index_) {
        visit(key, ParseRecord(file.substr(location.offset), /*verified=*/true).value);
      }
    }
  }
  if (valid_end < size) {
    // Cut the invalid tail so new records follow valid ones; durable before anything is appended.
    if (ftruncate(fd, static_cast<off_t>(valid_end)) != 0 || fdatasync(fd) != 0) return ErrnoError("truncate", path);
    if (valid_end == 0) {
      if (absl::Status status = WriteAll(fd, kMagic, 0, path); !status.ok()) return status;
      if (fdatasync(fd) != 0) return ErrnoError("fdatasync", path);
      valid_end = kMagic.size();
    }
  }
  log.file_bytes_ = valid_end;
  opened.replay.file_bytes = valid_end;
  opened.replay.live_keys = log.index_.size();
  return opened;
}

uint64_t DurableLog::IndexRecords(std::string_view file, LogReplay& replay) {
  uint64_t offset = kMagic.size();
  index_.reserve(file.size() / 128);  // a guess at the record count, to spare most rehashing
  while (offset < file.size()) {
    const ParsedRecord record = ParseRecord(file.substr(offset));
    if (record.error != nullptr) {
      replay.dropped_bytes = file.size() - offset;
      replay.dropped_reason = absl::StrCat(record.error, " at offset ", offset);
      break;
    }
    Index(record.op, record.key, offset, record.size);
    ++replay.records;
    offset += record.size;
  }
  return offset;
}

void DurableLog::Index(RecordOp op, std::string_view key, uint64_t offset, uint32_t size) {
  auto it = index_.find(AbslView(key));
  if (it != index_.end()) {
    live_bytes_ -= it->second.size;
    if (op == RecordOp::kDelete) {
      index_.erase(it);
    } else {
      it->second = Location{offset, size};
    }
  } else if (op == RecordOp::kPut) {
    index_.emplace(std::string(key), Location{offset, size});
  }
  if (op == RecordOp::kPut) live_bytes_ += size;
}

absl::Status DurableLog::Append(std::string_view batch) {
  if (absl::Status status = WriteAll(fd_, batch, file_bytes_, path_); !status.ok()) {
    if (ftruncate(fd_, static_cast<off_t>(file_bytes_)) != 0) {
      return absl::InternalError(absl::StrCat(status.message(), "; and cutting the torn write failed"));
    }
    return status;
  }
  // Our own bytes: framing cannot fail, only the index needs each record's place.
  uint64_t offset = file_bytes_;
  for (size_t at = 0; at < batch.size();) {
    const ParsedRecord record = ParseRecord(batch.substr(at));
    if (record.error != nullptr) return absl::InvalidArgumentError("Append: malformed batch");
    Index(record.op, record.key, offset, record.size);
    at += record.size;
    offset += record.size;
  }
  file_bytes_ = offset;
  return absl::OkStatus();
}

absl::Status DurableLog::Sync() {
  return fdatasync(fd_) == 0 ? absl::OkStatus() : ErrnoError("fdatasync", path_);
}

bool DurableLog::WantsCompaction() const {
  return file_bytes_ >= options_.min_compaction_bytes && file_bytes_ > options_.compaction_ratio * live_bytes_;
}

absl::StatusOr<std::unique_ptr<DurableLog::Compaction>> DurableLog::StartCompaction() {
  std::unique_ptr<Compaction> compaction(new Compaction());
  compaction->source_path_ = path_;
  compaction->temp_path_ = path_ + ".compact";
  compaction->source_fd_ = dup(fd_);  // the log's fd changes hands at the end; the copy reads its own
  if (compaction->source_fd_ < 0) return ErrnoError("dup", path_);
  compaction->out_fd_ = open(compaction->temp_path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (compaction->out_fd_ < 0) return ErrnoError("open", compaction->temp_path_);
  compaction->snapshot_end_ = file_bytes_;
  compaction->snapshot_ = index_;
  return compaction;
}

DurableLog::Compaction::~Compaction() {
  if (source_fd_ >= 0) close(source_fd_);
  if (out_fd_ >= 0) {  // not finished: the log stays as it was
    close(out_fd_);
    unlink(temp_path_.c_str());
  }
}

absl::Status DurableLog::Compaction::Run() {
  status_ = absl::OkStatus();
  Mapping mapping(source_fd_, snapshot_end_);  // appends beyond snapshot_end_ do not concern us
  if (!mapping.ok()) return status_ = ErrnoError("mmap", source_path_);
  std::string buffer(kMagic);
  // In file order, so the old file is read sequentially; a record is live if the snapshot points at it.
  const std::string_view file = mapping.bytes();
  for (uint64_t offset = kMagic.size(); offset < file.size();) {
    const ParsedRecord record = ParseRecord(file.substr(offset), /*verified=*/true);
    if (record.error != nullptr) break;  // cannot happen: every byte was validated or written by us
    auto it = snapshot_.find(AbslView(record.key));
    if (record.op == RecordOp::kPut && it != snapshot_.end() && it->second.offset == offset) {
      it->second.offset = written_ + buffer.size();
      buffer.append(file.substr(offset, record.size));
    }
    offset += record.size;
    if (buffer.size() >= (1u << 20)) {
      if (absl::Status status = WriteAll(out_fd_, buffer, written_, temp_path_); !status.ok()) return status_ = status;
      written_ += buffer.size();
      buffer.clear();
    }
  }
  if (absl::Status status = WriteAll(out_fd_, buffer, written_, temp_path_); !status.ok()) return status_ = status;
  written_ += buffer.size();
  if (fdatasync(out_fd_) != 0) return status_ = ErrnoError("fdatasync", temp_path_);
  return status_;
}

absl::Status DurableLog::FinishCompaction(std::unique_ptr<Compaction> compaction) {
  if (!compaction->status_.ok()) return compaction->status_;
  // The records appended since the snapshot, copied as they are, in order.
  const uint64_t tail_start = compaction->snapshot_end_;
  uint64_t copied = compaction->written_;
  std::string buffer;
  for (uint64_t at = tail_start; at < file_bytes_;) {
    buffer.resize(std::min<uint64_t>(file_bytes_ - at, 1u << 20));
    const ssize_t n = pread(fd_, buffer.data(), buffer.size(), static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError("read", path_);
    buffer.resize(static_cast<size_t>(n));
    if (absl::Status status = WriteAll(compaction->out_fd_, buffer, copied, compaction->temp_path_); !status.ok()) {
      return status;
    }
    at += static_cast<uint64_t>(n);
    copied += static_cast<uint64_t>(n);
  }
  if (fdatasync(compaction->out_fd_) != 0) return ErrnoError("fdatasync", compaction->temp_path_);
  if (rename(compaction->temp_path_.c_str(), path_.c_str()) != 0) return ErrnoError("rename", compaction->temp_path_);
  // Renamed: the new file is the log now, whatever happens next.
  close(fd_);
  fd_ = std::exchange(compaction->out_fd_, -1);
  file_bytes_ = copied;
  for (auto& [key, location] : index_) {
    if (location.offset >= tail_start) {
      location.offset = location.offset - tail_start + compaction->written_;
    } else {  // unchanged since the snapshot, so the snapshot holds its new place
      location.offset = compaction->snapshot_.find(AbslView(key))->second.offset;
    }
  }
  return SyncDirectoryOf(path_);
}

absl::Status DurableLog::Compact() {
  absl::StatusOr<std::unique_ptr<Compaction>> compaction = StartCompaction();
  if (!compaction.ok()) return compaction.status();
  if (absl::Status status = (*compaction)->Run(); !status.ok()) return status;
  return FinishCompaction(*std::move(compaction));
}

}  // namespace ringmq
