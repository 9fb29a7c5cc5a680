#include "tools/bench/topic_template.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ringmq::bench {

absl::StatusOr<TopicTemplate> TopicTemplate::Parse(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("empty topic template");
  TopicTemplate result;
  std::string literal;
  auto flush_literal = [&] {
    if (!literal.empty()) result.pieces_.push_back({PieceKind::kLiteral, std::move(literal)});
    literal.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '%') {
      if (c == '+' || c == '#') result.has_wildcard_ = true;
      literal.push_back(c);
      continue;
    }
    if (i + 1 == text.size()) {
      return absl::InvalidArgumentError(absl::StrCat("topic template ends with '%': ", std::string(text)));
    }
    const char escape = text[++i];
    if (escape == '%') {
      literal.push_back('%');
    } else if (escape == 'i' || escape == 't') {
      flush_literal();
      result.pieces_.push_back({escape == 'i' ? PieceKind::kClientIndex : PieceKind::kThreadIndex, {}});
      result.has_client_index_ |= escape == 'i';
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown escape '%", std::string(1, escape), "' in topic template: ", std::string(text)));
    }
  }
  flush_literal();
  return result;
}

std::string TopicTemplate::Expand(uint32_t client_index, uint32_t thread_index) const {
  std::string out;
  for (const Piece& piece : pieces_) {
    switch (piece.kind) {
      case PieceKind::kLiteral:
        out += piece.literal;
        break;
      case PieceKind::kClientIndex:
        absl::StrAppend(&out, client_index);
        break;
      case PieceKind::kThreadIndex:
        absl::StrAppend(&out, thread_index);
        break;
    }
  }
  return out;
}

}  // namespace ringmq::bench
