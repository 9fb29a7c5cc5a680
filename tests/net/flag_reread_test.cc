// Re-reading the command line and its flag files (SIGHUP), with flags of this file.
#include "net/flag_reread.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"

ABSL_FLAG(int, reread_count, 5, "test flag");
ABSL_FLAG(bool, reread_switch, false, "test flag");
ABSL_FLAG(std::string, reread_name, "default", "test flag");

namespace ringmq {
namespace {

std::string ThisFile() { return absl::FindCommandLineFlag("reread_count")->Filename(); }

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

struct Seen {
  int count = 0;
  bool on = false;
  std::string name;
};

absl::StatusOr<Seen> Reread(const std::vector<std::string>& args) {
  Seen seen;
  absl::Status status = WithFlagsReread(args, ThisFile(), [] {}, [&seen] {
    seen = Seen{absl::GetFlag(FLAGS_reread_count), absl::GetFlag(FLAGS_reread_switch),
                absl::GetFlag(FLAGS_reread_name)};
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return seen;
}

TEST(FlagReread, FileReadAtItsPlaceAfterDefaultsAndBeforeLaterArguments) {
  const std::string file = WriteFile("a.conf", "# comment\n\n  --reread_count=7  \n--reread_switch\n--reread_name=file\n");
  absl::SetFlag(&FLAGS_reread_count, 99);  // what the process runs with
  absl::StatusOr<Seen> seen = Reread({"--reread_name=first", "--flagfile", file, "--reread_name", "last"});
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->count, 7);
  EXPECT_TRUE(seen->on);
  EXPECT_EQ(seen->name, "last");
  EXPECT_EQ(absl::GetFlag(FLAGS_reread_count), 99);  // restored
  absl::SetFlag(&FLAGS_reread_count, 5);
}

TEST(FlagReread, AFlagRemovedFromTheFileGoesBackToItsDefault) {
  const std::string file = WriteFile("b.conf", "--noreread_switch\n");
  absl::SetFlag(&FLAGS_reread_count, 42);
  absl::StatusOr<Seen> seen = Reread({"--flagfile=" + file});
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->count, 5);
  EXPECT_FALSE(seen->on);
  EXPECT_EQ(absl::GetFlag(FLAGS_reread_count), 42);
  absl::SetFlag(&FLAGS_reread_count, 5);
}

TEST(FlagReread, ErrorsNameTheFileAndLineAndRestoreTheFlags) {
  absl::SetFlag(&FLAGS_reread_name, "running");
  const std::string bad_value = WriteFile("c.conf", "--reread_name=x\n--reread_count=many\n");
  absl::StatusOr<Seen> seen = Reread({"--flagfile=" + bad_value});
  ASSERT_FALSE(seen.ok());
  EXPECT_NE(seen.status().message().find("c.conf:2: --reread_count=many"), std::string::npos) << seen.status();
  EXPECT_EQ(absl::GetFlag(FLAGS_reread_name), "running");

  const std::string unknown = WriteFile("d.conf", "--reread_nope=1\n");
  seen = Reread({"--flagfile=" + unknown});
  ASSERT_FALSE(seen.ok());
  EXPECT_NE(seen.status().message().find("d.conf:1: unknown flag --reread_nope"), std::string::npos);

  const std::string not_a_flag = WriteFile("e.conf", "reread_count=1\n");
  seen = Reread({"--flagfile=" + not_a_flag});
  ASSERT_FALSE(seen.ok());
  EXPECT_NE(seen.status().message().find("e.conf:1: not a flag"), std::string::npos);

  seen = Reread({"--flagfile=" + ::testing::TempDir() + "/missing.conf"});
  ASSERT_FALSE(seen.ok());
  EXPECT_NE(seen.status().message().find("cannot open"), std::string::npos);
  EXPECT_EQ(absl::GetFlag(FLAGS_reread_name), "running");
  absl::SetFlag(&FLAGS_reread_name, "default");
}

TEST(FlagReread, NestingIsBounded) {
  const std::string path = ::testing::TempDir() + "/loop.conf";
  WriteFile("loop.conf", "--flagfile=" + path + "\n");
  absl::StatusOr<Seen> seen = Reread({"--flagfile=" + path});
  ASSERT_FALSE(seen.ok());
  EXPECT_NE(seen.status().message().find("nested"), std::string::npos) << seen.status();
}

TEST(FlagReread, CurrentValuesAreThisFilesFlagsOnly) {
  const FlagValues values = CurrentFlagValues(ThisFile());
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values.at("reread_count"), "5");
  EXPECT_EQ(values.at("reread_switch"), "false");
}

}  // namespace
}  // namespace ringmq
