#include "net/log.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ringmq {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
constexpr char kLevelLetters[] = {'D', 'I', 'W', 'E'};

// A line longer than this is cut: client fields are bounded (LogText), so only a bug gets here.
constexpr size_t kMaxLineBytes = 4096;

// Second line of defence behind LogText: whatever reached the text, a control character in it cannot
// end the line or drive the terminal. (Backslashes are left alone, so escaped fields stay readable.)
void AppendWithoutControls(std::string_view text, std::string& line) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      line += c;
      continue;
    }
    line += "\\x";
    line += kHex[byte >> 4];
    line += kHex[byte & 0xf];
  }
}

std::string FormatLine(LogLevel level, std::string_view text) {
  std::string line = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ ", absl::Now(), absl::UTCTimeZone());
  line += kLevelLetters[static_cast<int>(level)];
  line += ' ';
  const bool cut = text.size() > kMaxLineBytes;
  AppendWithoutControls(text.substr(0, kMaxLineBytes), line);
  if (cut) line += "...";
  line += '\n';
  return line;
}

// Blocks until all of `bytes` is written (or stderr is gone).
void WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// The queue between every logging thread and the writer thread. The critical section of a logging
// thread is one push_back of a moved string into reserved capacity; the writer swaps the whole batch
// out and writes it without the lock, so a writer blocked on stderr never holds it.
class LogWriter {
 public:
  static constexpr int kStopWaitS = 5;

  void Start() {
    std::lock_guard lock(mu_);
    if (running_) return;
    queued_.reserve(kLogQueueLines);
    running_ = true;
    stop_ = false;
    finished_ = false;
    // The writer must never take a signal: the broker waits for SIGTERM on its main thread only
    // (net/broker.cc), and a second SIGTERM delivered here would end the process mid-shutdown.
    sigset_t all;
    sigset_t previous;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &previous);
    thread_ = std::thread([this] { Run(); });
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }

  // Waits until the writer has written every queued line, for at most kStopWaitS: a stderr that
  // nobody ever reads must not keep the broker from exiting.
  void Stop() {
    std::unique_lock lock(mu_);
    if (!running_) return;
    stop_ = true;
    wake_.notify_one();
    const bool finished = done_.wait_for(lock, std::chrono::seconds(kStopWaitS), [this] { return finished_; });
    running_ = false;
    lock.unlock();
    if (finished) {
      thread_.join();
    } else {
      thread_.detach();  // blocked in write(2); the process exits around it
    }
  }

  // False when no writer runs: the caller writes the line itself.
  bool Enqueue(std::string&& line) {
    bool was_empty = false;
    {
      std::lock_guard lock(mu_);
      if (!running_ || stop_) return false;
      if (queued_.size() >= kLogQueueLines) {
        ++dropped_;
        return true;
      }
      was_empty = queued_.empty();
      queued_.push_back(std::move(line));
    }
    if (was_empty) wake_.notify_one();  // the writer sleeps only on an empty queue
    return true;
  }

 private:
  void Run() {
    std::vector<std::string> batch;
    batch.reserve(kLogQueueLines);
    std::string bytes;
    for (;;) {
      uint64_t dropped = 0;
      bool stopping = false;
      {
        std::unique_lock lock(mu_);
        wake_.wait(lock, [this] { return !queued_.empty() || dropped_ > 0 || stop_; });
        batch.swap(queued_);
        dropped = std::exchange(dropped_, 0);
        stopping = stop_;
      }
      bytes.clear();
      for (const std::string& line : batch) bytes += line;
      batch.clear();
      if (dropped > 0) {
        bytes += FormatLine(LogLevel::kWarning,
                            absl::StrCat(dropped, " log lines dropped: stderr was not read fast enough"));
      }
      WriteAll(bytes);
      if (stopping) {
        std::lock_guard lock(mu_);
        if (queued_.empty() && dropped_ == 0) {
          finished_ = true;
          done_.notify_all();
          return;
        }
      }
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;  // the writer waits for lines
  std::condition_variable done_;  // Stop() waits for the writer to finish
  std::vector<std::string> queued_;
  uint64_t dropped_ = 0;
  bool running_ = false;
  bool stop_ = false;
  bool finished_ = false;  // the writer wrote everything after stop_ and returned
  std::thread thread_;
};

LogWriter& Writer() {
  static LogWriter* writer = new LogWriter();  // never destroyed: threads may log during exit
  return *writer;
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

std::optional<LogLevel> ParseLogLevel(std::string_view text) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warning") return LogLevel::kWarning;
  if (text == "error") return LogLevel::kError;
  return std::nullopt;
}

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void WriteLogLine(LogLevel level, std::string_view text) {
  std::string line = FormatLine(level, text);
  if (!Writer().Enqueue(std::move(line))) WriteAll(line);
}

void StartLogWriter() { Writer().Start(); }
void StopLogWriter() { Writer().Stop(); }

void ReportRefusal(std::atomic<int64_t>& last_report_ms, int64_t now_ms, std::string_view what) {
  constexpr int64_t kRefusalReportMs = 5000;
  int64_t last = last_report_ms.load(std::memory_order_relaxed);
  if (now_ms - last < kRefusalReportMs) return;
  if (!last_report_ms.compare_exchange_strong(last, now_ms)) return;  // another shard reports it
  Log(LogLevel::kWarning, "%s (counted in $SYS; further refusals not logged for %d s)", what,
      kRefusalReportMs / 1000);
}

}  // namespace ringmq
