// The server side of one TLS connection, driven with bytes rather than a socket: ciphertext in
// through Receive, plaintext MQTT out through Send, OpenSSL never touching the fd and never blocking.
//
// Thread ownership: as every StreamTransform, owned by its connection's shard (see
// net/transport/stream_transform.h). OpenSSL's per-thread error queue is emptied after every call.
#pragma once

#include <memory>

#include "net/transport/stream_transform.h"
#include "net/transport/tls_context.h"

namespace ringmq {

// A new server-side TLS stream whose handshake starts with the client's first bytes. The connection
// keeps `context`'s certificate for its whole life, whatever a reload does later.
std::unique_ptr<StreamTransform> NewTlsTransform(std::shared_ptr<const TlsContext> context);

}  // namespace ringmq
