#include "core/prometheus_text.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace ringmq {
namespace {

bool IsNameStart(char c, bool colon_allowed) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_allowed && c == ':');
}

bool IsValidName(std::string_view name, bool colon_allowed) {
  if (name.empty() || !IsNameStart(name[0], colon_allowed)) return false;
  for (char c : name.substr(1)) {
    if (!IsNameStart(c, colon_allowed) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

// HELP text escapes backslash and newline; label values also the double quote.
void AppendEscaped(std::string& out, std::string_view text, bool escape_quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void AppendValue(std::string& out, const std::variant<uint64_t, int64_t, double>& value) {
  if (const auto* unsigned_value = std::get_if<uint64_t>(&value)) {
    absl::StrAppend(&out, *unsigned_value);
  } else if (const auto* signed_value = std::get_if<int64_t>(&value)) {
    absl::StrAppend(&out, *signed_value);
  } else {
    const double real = std::get<double>(value);
    if (std::isnan(real)) {
      out += "NaN";
    } else if (std::isinf(real)) {
      out += real > 0 ? "+Inf" : "-Inf";
    } else {
      absl::StrAppend(&out, real);  // shortest form that reads back the same, e.g. 1.5 or 1e-06
    }
  }
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kGauge:
      break;
  }
  return "gauge";
}

void AppendSample(std::string& out, std::string_view name, const MetricSample& sample) {
  out += name;
  out += sample.name_suffix;
  if (!sample.labels.empty()) {
    out += '{';
    for (size_t i = 0; i < sample.labels.size(); ++i) {
      if (i > 0) out += ',';
      absl::StrAppend(&out, sample.labels[i].name, "=\"");
      AppendEscaped(out, sample.labels[i].value, true);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  AppendValue(out, sample.value);
  out += '\n';
}

}  // namespace

bool IsValidMetricName(std::string_view name) { return IsValidName(name, true); }
bool IsValidLabelName(std::string_view name) { return IsValidName(name, false); }

std::string FormatPrometheusText(std::span<const MetricFamily> families) {
  std::string out;
  for (const MetricFamily& family : families) {
    absl::StrAppend(&out, "# HELP ", family.name, " ");
    AppendEscaped(out, family.help, false);
    absl::StrAppend(&out, "\n# TYPE ", family.name, " ", TypeName(family.type), "\n");
    for (const MetricSample& sample : family.samples) AppendSample(out, family.name, sample);
  }
  return out;
}

}  // namespace ringmq
