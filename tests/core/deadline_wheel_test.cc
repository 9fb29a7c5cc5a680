#include "core/deadline_wheel.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/alloc_counter.h"

namespace ringmq {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

using Fired = std::vector<std::pair<uint32_t, int64_t>>;  // (handle, due time) in the order handed out

Fired PopAll(DeadlineWheel<uint32_t>& wheel, int64_t now_ms) {
  Fired fired;
  wheel.PopDue(now_ms, [&](uint32_t handle, int64_t deadline) { fired.emplace_back(handle, deadline); });
  return fired;
}

std::vector<uint32_t> Handles(const Fired& fired) {
  std::vector<uint32_t> handles;
  for (const auto& [handle, deadline] : fired) handles.push_back(handle);
  return handles;
}

TEST(DeadlineWheelTest, HandsOutEntriesByBucketAndNeverBeforeTheirDeadline) {
  DeadlineWheel<uint32_t> wheel(100, 16);
  EXPECT_THAT(PopAll(wheel, 1000), IsEmpty());  // anchors the wheel at t = 1000
  EXPECT_EQ(wheel.Schedule(3, 1350), 1400);  // due times are deadlines rounded up to a tick
  EXPECT_EQ(wheel.Schedule(1, 1101), 1200);
  EXPECT_EQ(wheel.Schedule(2, 1200), 1200);
  EXPECT_EQ(wheel.size(), 3u);
  EXPECT_THAT(PopAll(wheel, 1100), IsEmpty());
  EXPECT_THAT(PopAll(wheel, 1199), IsEmpty());
  EXPECT_THAT(PopAll(wheel, 1200), ElementsAre(std::pair(1u, 1200), std::pair(2u, 1200)));
  EXPECT_THAT(PopAll(wheel, 1399), IsEmpty());
  EXPECT_THAT(PopAll(wheel, 1400), ElementsAre(std::pair(3u, 1400)));
  EXPECT_EQ(wheel.size(), 0u);
}

TEST(DeadlineWheelTest, SeveralBucketsPassedInOneCallComeOutInDeadlineOrder) {
  DeadlineWheel<uint32_t> wheel(10, 64);
  PopAll(wheel, 0);
  for (uint32_t i = 0; i < 20; ++i) wheel.Schedule(20 - i, static_cast<int64_t>(20 - i) * 10);
  EXPECT_THAT(Handles(PopAll(wheel, 200)),
              ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20));
}

TEST(DeadlineWheelTest, PastDeadlinesFireAtTheNextPopDue) {
  DeadlineWheel<uint32_t> wheel(1000, 8);
  PopAll(wheel, 5500);
  wheel.Schedule(1, 100);
  wheel.Schedule(2, 5500);
  EXPECT_THAT(PopAll(wheel, 5500), UnorderedElementsAre(std::pair(1u, 1000), std::pair(2u, 6000)));
  EXPECT_TRUE(wheel.empty());
}

TEST(DeadlineWheelTest, EntriesScheduledBeforeTheFirstPopDueAreKept) {
  DeadlineWheel<uint32_t> wheel(100, 8);
  wheel.Schedule(1, 1'000'000);
  wheel.Schedule(2, 1'000'250);
  EXPECT_THAT(PopAll(wheel, 1'000'000), ElementsAre(std::pair(1u, 1'000'000)));
  EXPECT_THAT(PopAll(wheel, 1'000'299), IsEmpty());
  EXPECT_THAT(PopAll(wheel, 1'000'300), ElementsAre(std::pair(2u, 1'000'300)));
}

TEST(DeadlineWheelTest, DeadlinesBeyondTheSpanWaitInOverflowUntilDue) {
  DeadlineWheel<uint32_t> wheel(100, 8);  // spans 800 ms
  PopAll(wheel, 0);
  wheel.Schedule(1, 5000);
  wheel.Schedule(2, 790);
  wheel.Schedule(3, 12'345);
  EXPECT_EQ(wheel.size(), 3u);
  Fired fired;
  for (int64_t now = 100; now <= 13'000; now += 100) {
    for (const auto& entry : PopAll(wheel, now)) {
      EXPECT_GE(now, entry.second);
      EXPECT_LT(now - entry.second, 100);
      fired.push_back(entry);
    }
  }
  EXPECT_THAT(fired, ElementsAre(std::pair(2u, 800), std::pair(1u, 5000), std::pair(3u, 12'400)));
  EXPECT_TRUE(wheel.empty());
}

TEST(DeadlineWheelTest, TimeJumpLargerThanTheSpanHandsOutEverythingDueAndKeepsTheRest) {
  DeadlineWheel<uint32_t> wheel(100, 8);
  PopAll(wheel, 0);
  wheel.Schedule(1, 300);
  wheel.Schedule(2, 5000);
  wheel.Schedule(3, 100'000);
  wheel.Schedule(4, 100'050);
  EXPECT_THAT(PopAll(wheel, 100'000), UnorderedElementsAre(std::pair(1u, 300), std::pair(2u, 5000),
                                                           std::pair(3u, 100'000)));
  EXPECT_THAT(PopAll(wheel, 100'099), IsEmpty());
  EXPECT_THAT(PopAll(wheel, 100'100), ElementsAre(std::pair(4u, 100'100)));
}

TEST(DeadlineWheelTest, RescheduleFromInsideTheCallbackComesDueInALaterCall) {
  DeadlineWheel<uint32_t> wheel(100, 16);
  PopAll(wheel, 0);
  wheel.Schedule(7, 100);
  Fired fired;  // (handle, when it was handed out)
  for (int64_t now = 100; now <= 1000; now += 100) {
    wheel.PopDue(now, [&](uint32_t handle, int64_t) {
      fired.emplace_back(handle, now);
      if (handle != 7) return;
      wheel.Schedule(7, now + 300);             // the caller's "not really due yet: look again later"
      if (now == 100) wheel.Schedule(100, now);  // already due: waits for the next call, no loop here
    });
  }
  EXPECT_THAT(fired, ElementsAre(std::pair(7u, 100), std::pair(100u, 200), std::pair(7u, 400),
                                 std::pair(7u, 700), std::pair(7u, 1000)));
  EXPECT_EQ(wheel.size(), 1u);
}

TEST(DeadlineWheelTest, PeriodicEntriesFireOncePerPeriod) {
  DeadlineWheel<uint32_t> wheel(100, 16);
  PopAll(wheel, 0);
  std::vector<int64_t> fired_at;
  wheel.Schedule(1, 300);
  for (int64_t now = 100; now <= 3000; now += 100) {
    wheel.PopDue(now, [&](uint32_t handle, int64_t) {
      fired_at.push_back(now);
      wheel.Schedule(handle, now + 300);
    });
  }
  EXPECT_THAT(fired_at, ElementsAre(300, 600, 900, 1200, 1500, 1800, 2100, 2400, 2700, 3000));
}

TEST(DeadlineWheelTest, ManyEntriesEachFireOnceWithinOneTickOfTheirDeadline) {
  constexpr int64_t kTick = 250;
  DeadlineWheel<uint32_t> wheel(kTick, 256);  // spans 64 s; deadlines go up to 200 s
  PopAll(wheel, 0);
  std::mt19937_64 random(42);
  std::uniform_int_distribution<int64_t> deadline_of(1, 200'000);
  constexpr uint32_t kEntries = 100'000;
  std::vector<int64_t> deadlines(kEntries);
  for (uint32_t i = 0; i < kEntries; ++i) {
    deadlines[i] = deadline_of(random);
    wheel.Schedule(i, deadlines[i]);
  }
  std::vector<int> times_fired(kEntries, 0);
  int late_or_early = 0;
  for (int64_t now = kTick; now <= 201'000; now += kTick) {
    wheel.PopDue(now, [&](uint32_t handle, int64_t due) {
      ++times_fired[handle];
      const int64_t deadline = deadlines[handle];
      if (due != (deadline + kTick - 1) / kTick * kTick || now < deadline || now - deadline >= kTick) ++late_or_early;
    });
  }
  EXPECT_EQ(late_or_early, 0);
  EXPECT_EQ(std::count(times_fired.begin(), times_fired.end(), 1), kEntries);
  EXPECT_TRUE(wheel.empty());
}

TEST(DeadlineWheelTest, SteadyStateReschedulingDoesNotAllocate) {
  DeadlineWheel<uint32_t> wheel(100, 64);
  PopAll(wheel, 0);
  for (uint32_t i = 0; i < 1000; ++i) wheel.Schedule(i, 100 + (i % 30) * 100);
  auto run = [&](int64_t from, int64_t to) {
    for (int64_t now = from; now < to; now += 100) {
      wheel.PopDue(now, [&](uint32_t handle, int64_t) { wheel.Schedule(handle, now + 3000); });
    }
  };
  run(100, 10'000);  // buckets reach their steady capacity
  EXPECT_EQ(testing::CountAllocations([&] { run(10'000, 20'000); }), 0);
  EXPECT_EQ(wheel.size(), 1000u);
}

TEST(DeadlineWheelTest, ABurstDoesNotStayReserved) {
  DeadlineWheel<uint32_t> wheel(100, 64);
  PopAll(wheel, 0);
  for (uint32_t i = 0; i < 300'000; ++i) wheel.Schedule(i, 100);  // a connect storm: one bucket
  const size_t during = wheel.reserved_entries();
  EXPECT_GE(during, 300'000u);
  EXPECT_LT(during, 310'000u);  // grown without copies: little beyond the entries themselves
  EXPECT_EQ(PopAll(wheel, 100).size(), 300'000u);
  EXPECT_TRUE(wheel.empty());
  EXPECT_LE(wheel.reserved_entries(), during / 10);
}

TEST(DeadlineWheelTest, CarriesAStructHandle) {
  struct Timer {
    const void* object;
    uint32_t serial;
  };
  int a = 0;
  DeadlineWheel<Timer> wheel(1000, 4);
  wheel.Schedule(Timer{&a, 9}, 1000);
  std::vector<uint32_t> serials;
  wheel.PopDue(1000, [&](const Timer& timer, int64_t) {
    EXPECT_EQ(timer.object, &a);
    serials.push_back(timer.serial);
  });
  EXPECT_THAT(serials, ElementsAre(9u));
}

TEST(DeadlineWheelTest, AnEntryIsSixteenBytesForAPointerOrAPackedTwelveByteHandle) {
  struct __attribute__((packed, aligned(4))) PackedTimer {
    const void* object;
    uint32_t serial;
  };
  EXPECT_EQ(DeadlineWheel<const void*>::kEntryBytes, 16u);
  EXPECT_EQ(DeadlineWheel<PackedTimer>::kEntryBytes, 16u);
}

}  // namespace
}  // namespace ringmq
