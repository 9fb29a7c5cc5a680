// FleetWorkload: the synthetic vehicle-fleet topic and filter mix shared by the routing benchmarks
// (per-vehicle telemetry subscriptions, cross-region per-vehicle `#` monitors, per-region alert
// wildcards and a few catch-all `#`), generated deterministically from a seed.
//
// Thread ownership: plain values, built and used by the benchmark thread.
#pragma once

#include <cstddef>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace ringmq::bench {

inline constexpr int kRegions = 16;

// (absl::StrCat rather than operator+: GCC 12 emits a bogus -Wrestrict for chained string +.)
inline std::string Region(size_t r) { return absl::StrCat("r", r % kRegions); }
inline std::string Vehicle(size_t v) { return absl::StrCat("veh", v); }

// `count` filters: 60% fleet/{region}/{vehicle}/telemetry, 20% fleet/+/{vehicle}/#,
// 10% fleet/{region}/+/alerts, 10% fleet/{region}/{vehicle}/# with one `#` per 1000 filters.
inline std::vector<std::string> FleetFilters(size_t count, unsigned seed = 1) {
  std::mt19937_64 rng(seed);
  const size_t vehicles = count / 2 + 1;
  std::vector<std::string> filters;
  filters.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    size_t v = rng() % vehicles;
    std::string region = Region(v), vehicle = Vehicle(v);  // a vehicle stays in one region
    switch (i % 10) {
      case 6:
      case 7:
        filters.push_back(absl::StrCat("fleet/+/", vehicle, "/#"));
        break;
      case 8:
        filters.push_back(absl::StrCat("fleet/", region, "/+/alerts"));
        break;
      case 9:
        filters.push_back(i % 1000 == 9 ? std::string("#") : absl::StrCat("fleet/", region, "/", vehicle, "/#"));
        break;
      default:
        filters.push_back(absl::StrCat("fleet/", region, "/", vehicle, "/telemetry"));
    }
  }
  return filters;
}

// `count` publish topics over the same vehicles: mostly telemetry, some alerts.
inline std::vector<std::string> FleetTopics(size_t filter_count, size_t count, unsigned seed = 2) {
  std::mt19937_64 rng(seed);
  const size_t vehicles = filter_count / 2 + 1;
  std::vector<std::string> topics;
  topics.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    size_t v = rng() % vehicles;
    topics.push_back(absl::StrCat("fleet/", Region(v), "/", Vehicle(v), i % 8 == 0 ? "/alerts" : "/telemetry"));
  }
  return topics;
}

// Building a table of 10^6 entries takes seconds, so the benchmarks keep the last fixture across their
// repeated calls and rebuild only when the size changes. `build(fixture, size)` fills a fresh one.
template <class Fixture, class Build>
Fixture& CachedFixture(size_t size, Build&& build) {
  static std::unique_ptr<Fixture> cached;
  static size_t cached_size = 0;
  if (!cached || cached_size != size) {
    cached.reset();  // free the old one before building the next
    cached = std::make_unique<Fixture>();
    cached_size = size;
    build(*cached, size);
  }
  return *cached;
}

}  // namespace ringmq::bench
