#include "tools/bench/broker_probe.h"

#include <unistd.h>

#include <gtest/gtest.h>

namespace ringmq::bench {
namespace {

TEST(BrokerProbeTest, ParsesCpuTimeAfterACommandWithSpaces) {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
  const std::string stat = "42 (my broker) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 100";
  absl::StatusOr<double> cpu = ParseStatCpuSeconds(stat, 100);
  ASSERT_TRUE(cpu.ok());
  EXPECT_DOUBLE_EQ(*cpu, 3.0);
}

TEST(BrokerProbeTest, RejectsTruncatedStat) {
  EXPECT_FALSE(ParseStatCpuSeconds("42 (x) S 1 2", 100).ok());
  EXPECT_FALSE(ParseStatCpuSeconds("garbage", 100).ok());
}

TEST(BrokerProbeTest, ParsesVmRss) {
  absl::StatusOr<int64_t> rss = ParseStatusRssKb("Name:\tmosquitto\nVmPeak:\t  9000 kB\nVmRSS:\t    8796 kB\n");
  ASSERT_TRUE(rss.ok());
  EXPECT_EQ(*rss, 8796);
  EXPECT_FALSE(ParseStatusRssKb("Name:\tkthread\n").ok());
}

TEST(BrokerProbeTest, SamplesThisProcess) {
  absl::StatusOr<ProcessSample> sample = SampleProcess(getpid());
  ASSERT_TRUE(sample.ok()) << sample.status();
  EXPECT_GT(sample->rss_kb, 0);
  EXPECT_GE(sample->cpu_seconds, 0.0);
}

TEST(BrokerProbeTest, MissingProcessIsAnError) { EXPECT_FALSE(SampleProcess(999'999'999).ok()); }

}  // namespace
}  // namespace ringmq::bench
