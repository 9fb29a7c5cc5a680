// Prometheus text exposition format 0.0.4: metric families (name, type, help, labelled samples) in,
// the text a scraper reads out. The collector that fills the families lives in net/broker_metrics.h.
// Thread ownership: pure functions and plain values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ringmq {

// A histogram's samples are its family name plus a suffix (MetricSample::name_suffix): _bucket with
// an `le` label, _sum and _count.
enum class MetricType { kCounter, kGauge, kHistogram };

struct MetricLabel {
  std::string name;
  std::string value;
};

struct MetricSample {
  std::vector<MetricLabel> labels;
  // Counts are exact integers (a double loses them past 2^53); durations and ratios are doubles.
  std::variant<uint64_t, int64_t, double> value;
  std::string_view name_suffix = {};  // histograms: "_bucket", "_sum" or "_count"; a static string
};

struct MetricFamily {
  std::string name;  // [a-zA-Z_:][a-zA-Z0-9_:]*; counters end in _total
  MetricType type = MetricType::kGauge;
  std::string help;
  std::vector<MetricSample> samples;
};

// The content type of FormatPrometheusText's output, for the HTTP response.
inline constexpr std::string_view kPrometheusTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// One "# HELP", one "# TYPE" line and the samples of each family, in the order given. Label values
// and help text are escaped as the format requires (\\, \" and \n), so any text is safe in them.
std::string FormatPrometheusText(std::span<const MetricFamily> families);

// Whether `name` is a valid metric or label name ([a-zA-Z_:][a-zA-Z0-9_:]*; labels take no ':').
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

}  // namespace ringmq
