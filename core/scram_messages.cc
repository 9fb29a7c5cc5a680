#include "core/scram_messages.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/scram_crypto.h"
#include "core/text.h"

namespace ringmq {
namespace {

absl::Status Malformed(std::string_view why) { return absl::InvalidArgumentError(absl::StrCat("SCRAM: ", std::string(why))); }

// The value of attribute `name` ("n=value" -> "value"), or nullopt when `part` is another attribute.
std::optional<std::string_view> Attribute(std::string_view part, char name) {
  if (part.size() < 2 || part[0] != name || part[1] != '=') return std::nullopt;
  return part.substr(2);
}

// saslname (RFC 5802 section 7): ',' and '=' arrive as "=2C" and "=3D"; any other '=' is malformed.
std::optional<std::string> DecodeSaslName(std::string_view text) {
  std::string name;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      name += text[i];
      continue;
    }
    const std::string_view escape = text.substr(i, 3);
    if (escape == "=2C") {
      name += ',';
    } else if (escape == "=3D") {
      name += '=';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return name;
}

// An extension attribute: one ASCII letter, '=', a value.
bool IsExtension(std::string_view part) {
  return part.size() >= 2 && ((part[0] >= 'a' && part[0] <= 'z') || (part[0] >= 'A' && part[0] <= 'Z')) &&
         part[1] == '=';
}

}  // namespace

bool IsScramPrintable(std::string_view text) {
  for (char c : text) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

absl::StatusOr<ScramClientFirst> ParseScramClientFirst(std::string_view message) {
  if (message.size() > kMaxScramMessageSize) return Malformed("client-first-message too long");
  // gs2-header = gs2-cbind-flag "," [authzid] ","
  const std::vector<std::string_view> parts = SplitText(message, ',');
  if (parts.size() < 4) return Malformed("client-first-message needs gs2 header, n= and r=");
  if (parts[0] != "n" && parts[0] != "y") {
    return Malformed(parts[0].starts_with("p=") ? "channel binding is not supported (only gs2 flags n and y)"
                                                : "bad gs2 channel-binding flag");
  }
  if (!parts[1].empty()) return Malformed("an authorization identity (a=) is not supported");
  if (Attribute(parts[2], 'm')) return Malformed("mandatory extension m= is not supported");
  const std::optional<std::string_view> user = Attribute(parts[2], 'n');
  const std::optional<std::string_view> nonce = Attribute(parts[3], 'r');
  if (!user.has_value() || !nonce.has_value()) return Malformed("client-first-message needs n= then r=");
  for (size_t i = 4; i < parts.size(); ++i) {
    if (!IsExtension(parts[i])) return Malformed("bad attribute after the nonce");
  }
  std::optional<std::string> decoded_user = DecodeSaslName(*user);
  if (!decoded_user.has_value() || decoded_user->empty()) return Malformed("bad user name encoding");
  if (nonce->empty() || !IsScramPrintable(*nonce)) return Malformed("bad client nonce");
  ScramClientFirst first;
  first.gs2_header = std::string(parts[0]) + ",,";
  first.user = *std::move(decoded_user);
  first.client_nonce = std::string(*nonce);
  first.bare = std::string(message.substr(first.gs2_header.size()));
  return first;
}

absl::StatusOr<ScramClientFinal> ParseScramClientFinal(std::string_view message) {
  if (message.size() > kMaxScramMessageSize) return Malformed("client-final-message too long");
  // c=..,r=..[,extensions],p=..   The proof comes last, so everything before ",p=" is signed.
  const size_t proof_at = message.rfind(",p=");
  if (proof_at == std::string_view::npos) return Malformed("client-final-message without proof");
  const std::string_view without_proof = message.substr(0, proof_at);
  const std::vector<std::string_view> parts = SplitText(without_proof, ',');
  if (parts.size() < 2) return Malformed("client-final-message needs c= and r=");
  const std::optional<std::string_view> binding = Attribute(parts[0], 'c');
  const std::optional<std::string_view> nonce = Attribute(parts[1], 'r');
  if (!binding.has_value() || !nonce.has_value()) return Malformed("client-final-message needs c= then r=");
  for (size_t i = 2; i < parts.size(); ++i) {
    if (!IsExtension(parts[i])) return Malformed("bad attribute before the proof");
  }
  std::optional<std::string> decoded_binding = DecodeBase64(*binding);
  std::optional<std::string> proof = DecodeBase64(message.substr(proof_at + 3));
  if (!decoded_binding.has_value()) return Malformed("channel binding is not base64");
  if (!proof.has_value()) return Malformed("proof is not base64");
  ScramClientFinal final_message;
  final_message.channel_binding = *std::move(decoded_binding);
  final_message.nonce = std::string(*nonce);
  final_message.proof = *std::move(proof);
  final_message.without_proof = std::string(without_proof);
  return final_message;
}

std::string FormatScramServerFirst(std::string_view nonce, std::string_view salt, uint32_t iterations) {
  return absl::StrCat("r=", std::string(nonce), ",s=", EncodeBase64(salt), ",i=", iterations);
}

}  // namespace ringmq
