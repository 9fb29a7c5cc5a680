// Standard base64 (RFC 4648 section 4: alphabet with '+' and '/', '=' padding, no line breaks), the
// encoding of salts and hashes in mosquitto's password files.
//
// Thread ownership: stateless functions, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringmq {

std::string Base64Encode(std::span<const uint8_t> bytes);

// The bytes `text` encodes, or nothing when it is not canonical padded base64 (wrong length, a
// character outside the alphabet, misplaced '=', or non-zero bits in the unused tail): a strict
// reader so one stored hash has one spelling.
std::optional<std::vector<uint8_t>> Base64Decode(std::string_view text);

}  // namespace ringmq
