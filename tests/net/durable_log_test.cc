#include "net/persistence/durable_log.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"

namespace ringmq {
namespace {

class DurableLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/durable_log_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/shard-0.log";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Opens the log and returns its live records; the log stays open in log_.
  std::map<std::string, std::string> Open(DurableLog::Options options = {}) {
    std::map<std::string, std::string> records;
    absl::StatusOr<DurableLog::Opened> opened =
        DurableLog::Open(path_, options, [&](std::string_view key, std::string_view value) {
          EXPECT_TRUE(records.emplace(key, value).second) << "key visited twice: " << key;
        });
    EXPECT_TRUE(opened.ok()) << opened.status();
    if (!opened.ok()) return records;
    log_ = std::move(opened->log);
    replay_ = opened->replay;
    return records;
  }

  void Write(const std::string& batch) {
    ASSERT_TRUE(log_->Append(batch).ok());
    ASSERT_TRUE(log_->Sync().ok());
  }

  uint64_t FileSize() const { return std::filesystem::file_size(path_); }

  std::string dir_;
  std::string path_;
  std::unique_ptr<DurableLog> log_;
  LogReplay replay_;
};

std::string Put(std::string_view key, std::string_view value) {
  std::string batch;
  AppendRecord(RecordOp::kPut, key, value, batch);
  return batch;
}

std::string Delete(std::string_view key) {
  std::string batch;
  AppendRecord(RecordOp::kDelete, key, {}, batch);
  return batch;
}

TEST_F(DurableLogTest, NewLogIsEmptyAndRecordsSurviveReopen) {
  EXPECT_TRUE(Open().empty());
  Write(Put("ra", "1") + Put("rb", "2"));
  Write(Put("ra", "3") + Delete("rb") + Put("rc", std::string(5000, 'x')));
  log_.reset();
  const auto records = Open();
  EXPECT_EQ(records, (std::map<std::string, std::string>{{"ra", "3"}, {"rc", std::string(5000, 'x')}}));
  EXPECT_EQ(replay_.records, 5u);
  EXPECT_EQ(replay_.dropped_bytes, 0u);
  EXPECT_EQ(replay_.live_keys, 2u);
}

TEST_F(DurableLogTest, TruncatedTailIsDroppedAndReported) {
  Open();
  Write(Put("ra", "committed"));
  const uint64_t committed = FileSize();
  Write(Put("rb", "torn by a crash"));
  log_.reset();
  ASSERT_EQ(truncate(path_.c_str(), static_cast<off_t>(FileSize() - 3)), 0);
  const auto records = Open();
  EXPECT_EQ(records, (std::map<std::string, std::string>{{"ra", "committed"}}));
  EXPECT_GT(replay_.dropped_bytes, 0u);
  EXPECT_NE(replay_.dropped_reason.find("truncated"), std::string::npos) << replay_.dropped_reason;
  EXPECT_EQ(FileSize(), committed);  // cut back, so new records follow valid ones
  Write(Put("rc", "after the cut"));
  log_.reset();
  EXPECT_EQ(Open().size(), 2u);
  EXPECT_EQ(replay_.dropped_bytes, 0u);
}

TEST_F(DurableLogTest, CorruptRecordInTheTailDropsItAndEverythingAfter) {
  Open();
  Write(Put("ra", "1"));
  const uint64_t before_corrupt = FileSize();
  Write(Put("rb", "payload that a bad sector flips"));
  Write(Put("rc", "3"));
  log_.reset();
  {
    std::fstream file(path_, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(before_corrupt + 20));
    file.put('!');
  }
  const uint64_t size = FileSize();
  const auto records = Open();
  EXPECT_EQ(records, (std::map<std::string, std::string>{{"ra", "1"}}));
  EXPECT_EQ(replay_.dropped_bytes, size - before_corrupt);
  EXPECT_NE(replay_.dropped_reason.find("checksum"), std::string::npos) << replay_.dropped_reason;
}

TEST_F(DurableLogTest, GarbageLengthIsDroppedNotTrusted) {
  Open();
  Write(Put("ra", "1"));
  log_.reset();
  {
    std::ofstream file(path_, std::ios::app | std::ios::binary);
    file.write("\x01\x02\x03\x04\xff\xff\xff\x7f", 8);  // a header claiming a 2 GiB body
  }
  EXPECT_EQ(Open().size(), 1u);
  EXPECT_EQ(replay_.dropped_bytes, 8u);
}

TEST_F(DurableLogTest, NotALogIsRefused) {
  {
    std::ofstream file(path_, std::ios::binary);
    file << "this is somebody else's file";
  }
  absl::StatusOr<DurableLog::Opened> opened = DurableLog::Open(path_, {}, [](std::string_view, std::string_view) {});
  EXPECT_FALSE(opened.ok());
}

TEST_F(DurableLogTest, CompactionKeepsLatestValuesAndShrinksTheFile) {
  DurableLog::Options options;
  options.min_compaction_bytes = 4096;
  Open(options);
  for (int round = 0; round < 50; ++round) {
    std::string batch;
    for (int key = 0; key < 20; ++key) {
      AppendRecord(RecordOp::kPut, absl::StrCat("r", key), absl::StrCat("v", round), batch);
    }
    AppendRecord(RecordOp::kPut, absl::StrCat("rgone", round), "x", batch);
    AppendRecord(RecordOp::kDelete, absl::StrCat("rgone", round), {}, batch);
    Write(batch);
  }
  ASSERT_TRUE(log_->WantsCompaction());
  const uint64_t before = log_->file_bytes();
  ASSERT_TRUE(log_->Compact().ok());
  EXPECT_LT(log_->file_bytes(), before / 10);
  EXPECT_EQ(log_->file_bytes(), FileSize());
  EXPECT_FALSE(log_->WantsCompaction());
  Write(Put("r3", "after compaction") + Delete("r4"));  // appends go to the new file
  log_.reset();
  const auto records = Open(options);
  ASSERT_EQ(records.size(), 19u);
  EXPECT_EQ(records.at("r0"), "v49");
  EXPECT_EQ(records.at("r3"), "after compaction");
  EXPECT_FALSE(records.contains("r4"));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".compact"));
}

TEST_F(DurableLogTest, AppendsDuringACompactionAreKept) {
  DurableLog::Options options;
  options.min_compaction_bytes = 1024;
  Open(options);
  for (int round = 0; round < 10; ++round) {
    std::string batch;
    for (int key = 0; key < 50; ++key) AppendRecord(RecordOp::kPut, absl::StrCat("r", key), absl::StrCat(round), batch);
    Write(batch);
  }
  absl::StatusOr<std::unique_ptr<DurableLog::Compaction>> compaction = log_->StartCompaction();
  ASSERT_TRUE(compaction.ok()) << compaction.status();
  // While the copy is taken: overwrite, delete, add, then delete and re-add one key.
  Write(Put("r1", "during") + Delete("r2") + Put("rnew", "added") + Delete("r3") + Put("r3", "back"));
  ASSERT_TRUE((*compaction)->Run().ok());
  Write(Put("r4", "after the copy"));
  ASSERT_TRUE(log_->FinishCompaction(*std::move(compaction)).ok());
  EXPECT_EQ(log_->file_bytes(), FileSize());
  Write(Put("r5", "after the switch"));
  // The index moved with the records: a second compaction (which reads through it) keeps them all.
  ASSERT_TRUE(log_->Compact().ok());
  log_.reset();
  const auto records = Open(options);
  ASSERT_EQ(records.size(), 50u);  // 50 keys - r2 + rnew
  EXPECT_EQ(records.at("r0"), "9");
  EXPECT_EQ(records.at("r1"), "during");
  EXPECT_FALSE(records.contains("r2"));
  EXPECT_EQ(records.at("r3"), "back");
  EXPECT_EQ(records.at("r4"), "after the copy");
  EXPECT_EQ(records.at("r5"), "after the switch");
  EXPECT_EQ(records.at("rnew"), "added");
  EXPECT_EQ(replay_.records, 50u);  // nothing but live records left
}

TEST_F(DurableLogTest, AnAbandonedCompactionLeavesTheLogAsItWas) {
  Open();
  Write(Put("ra", "1"));
  {
    absl::StatusOr<std::unique_ptr<DurableLog::Compaction>> compaction = log_->StartCompaction();
    ASSERT_TRUE(compaction.ok());
    ASSERT_TRUE((*compaction)->Run().ok());
  }  // dropped unfinished
  EXPECT_FALSE(std::filesystem::exists(path_ + ".compact"));
  Write(Put("rb", "2"));
  log_.reset();
  EXPECT_EQ(Open().size(), 2u);
}

}  // namespace
}  // namespace ringmq
