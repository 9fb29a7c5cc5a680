// Topic templates for ringmq-bench: "bench/%t/%i" expands %i to the client index and %t to the
// thread index; "%%" is a literal percent sign. Used for the publish topics and subscription filters
// of the pub/sub scenarios.
//
// Thread ownership: plain value; parsed once on the main thread, expanded on any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ringmq::bench {

class TopicTemplate {
 public:
  // Rejects an unknown %-escape, a trailing '%' and an empty template.
  static absl::StatusOr<TopicTemplate> Parse(std::string_view text);

  std::string Expand(uint32_t client_index, uint32_t thread_index) const;
  // True when the expansion differs between clients (contains %i).
  bool has_client_index() const { return has_client_index_; }
  // True when it contains an MQTT wildcard (+ or #), i.e. it can only be a subscription filter.
  bool has_wildcard() const { return has_wildcard_; }

 private:
  enum class PieceKind : uint8_t { kLiteral, kClientIndex, kThreadIndex };
  struct Piece {
    PieceKind kind;
    std::string literal;
  };

  std::vector<Piece> pieces_;
  bool has_client_index_ = false;
  bool has_wildcard_ = false;
};

}  // namespace ringmq::bench
