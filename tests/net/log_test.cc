#include "net/log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

namespace ringmq {
namespace {

// Points stderr at a one-page pipe for the test's duration.
class StderrPipe {
 public:
  StderrPipe() {
    EXPECT_EQ(pipe(fds_), 0);
    fcntl(fds_[1], F_SETPIPE_SZ, 4096);
    saved_ = dup(STDERR_FILENO);
    dup2(fds_[1], STDERR_FILENO);
    close(fds_[1]);
  }
  ~StderrPipe() {
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    close(fds_[0]);
  }
  // Everything written until the write end is closed (stderr restored).
  std::string ReadAll() {
    std::string text;
    char buffer[65536];
    for (;;) {
      const ssize_t n = read(fds_[0], buffer, sizeof(buffer));
      if (n <= 0) return text;
      text.append(buffer, static_cast<size_t>(n));
    }
  }
  void RestoreStderr() { dup2(saved_, STDERR_FILENO); }

 private:
  int fds_[2] = {-1, -1};
  int saved_ = -1;
};

TEST(LogWriter, UnreadStderrNeverBlocksTheLoggerAndDropsAreReported) {
  SetLogLevel(LogLevel::kInfo);
  StderrPipe pipe;
  StartLogWriter();
  const auto begin = std::chrono::steady_clock::now();
  constexpr int kLines = 3 * static_cast<int>(kLogQueueLines);
  for (int i = 0; i < kLines; ++i) Log(LogLevel::kInfo, "line %d of a flood nobody reads", i);
  Log(LogLevel::kInfo, "last line");
  const auto elapsed = std::chrono::steady_clock::now() - begin;
  // Far more than the pipe and the queue hold, yet the logging thread never waited for a reader.
  EXPECT_LT(elapsed, std::chrono::seconds(1));

  std::string text;
  std::thread reader([&] { text = pipe.ReadAll(); });
  StopLogWriter();       // flushes what is queued (the reader drains the pipe meanwhile)
  pipe.RestoreStderr();  // closes the pipe's last write end: the reader sees the end
  reader.join();
  EXPECT_NE(text.find("line 0 of a flood"), std::string::npos);
  EXPECT_NE(text.find(" log lines dropped: stderr was not read fast enough"), std::string::npos);
  EXPECT_EQ(text.find(absl::StrFormat("line %d of a flood", kLines - 1)), std::string::npos)
      << "a line beyond the queue's bound was kept";
}

TEST(LogWriter, EveryQueuedLineIsWrittenBeforeStopReturns) {
  StderrPipe pipe;
  StartLogWriter();
  for (int i = 0; i < 100; ++i) Log(LogLevel::kWarning, "kept %d", i);
  std::string text;
  std::thread reader([&] { text = pipe.ReadAll(); });
  StopLogWriter();
  Log(LogLevel::kWarning, "after stop, written directly");
  pipe.RestoreStderr();
  reader.join();
  for (int i = 0; i < 100; ++i) EXPECT_NE(text.find(absl::StrFormat(" W kept %d\n", i)), std::string::npos) << i;
  EXPECT_NE(text.find("after stop, written directly\n"), std::string::npos);
  EXPECT_EQ(text.find("dropped"), std::string::npos);
}

TEST(LogLine, ControlCharactersCannotEndALine) {
  StderrPipe pipe;
  std::string text;
  std::thread reader([&] { text = pipe.ReadAll(); });
  Log(LogLevel::kWarning, "client %s says %s", LogText("a\nb"), "raw\nnewline\x1b[0m");
  pipe.RestoreStderr();
  reader.join();
  EXPECT_NE(text.find("client a\\nb says raw\\x0anewline\\x1b[0m\n"), std::string::npos) << text;
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "one line only";
}

}  // namespace
}  // namespace ringmq
