// The SCRAM messages a client sends (RFC 5802 section 7) and the one the server answers with first,
// as text in and structs out. Only what this broker accepts parses:
// - channel binding: the gs2 flag "n" (client does not support it) or "y" (client supports it but
//   thinks the server does not, which is right: no -PLUS variant is offered); "p=..." is refused;
// - no authorization identity ("a=..."): a client authenticates as itself only;
// - no mandatory extension ("m=...", which RFC 5802 says a server MUST refuse); other extensions
//   after the nonce are skipped, as the RFC allows.
//
// Thread ownership: stateless functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ringmq {

// Real client messages are about 100 bytes; a longer one is refused before any hashing, so a client
// cannot make the shard HMAC a megabyte-sized AuthMessage.
inline constexpr size_t kMaxScramMessageSize = 4096;

struct ScramClientFirst {
  std::string gs2_header;    // "n,," or "y,,": what the client-final's c= must repeat
  std::string user;          // with =2C and =3D decoded
  std::string client_nonce;  // printable ASCII except ','
  std::string bare;          // client-first-message-bare, the start of the AuthMessage
};

struct ScramClientFinal {
  std::string channel_binding;  // c=, decoded
  std::string nonce;            // r=
  std::string proof;            // p=, decoded (32 bytes for SHA-256)
  std::string without_proof;    // client-final-message-without-proof, the end of the AuthMessage
};

absl::StatusOr<ScramClientFirst> ParseScramClientFirst(std::string_view message);
absl::StatusOr<ScramClientFinal> ParseScramClientFinal(std::string_view message);

// server-first-message: "r=<nonce>,s=<salt base64>,i=<iterations>".
std::string FormatScramServerFirst(std::string_view nonce, std::string_view salt, uint32_t iterations);

// RFC 5802's printable: %x21-2B / %x2D-7E, i.e. visible ASCII except ','. Nonces are made of it.
bool IsScramPrintable(std::string_view text);

}  // namespace ringmq
