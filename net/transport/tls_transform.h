// One TLS connection (the server side, or a bridge's client side), driven with bytes rather than a socket: ciphertext in
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

// The client side, for a bridge connecting to `host`: sends SNI and, when `check_host`, refuses a
// certificate that does not name the host (the chain is always verified against the context's CA).
// The handshake starts when Receive is first called, with no bytes: the ClientHello goes to `down`.
// `context` (made by LoadTlsClientContext) must outlive the transform.
std::unique_ptr<StreamTransform> NewTlsClientTransform(const TlsContext& context, const std::string& host,
                                                       bool check_host);

}  // namespace ringmq
