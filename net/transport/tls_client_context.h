// The client side's TLS configuration for a bridge: the CA file the remote broker's certificate must
// chain to, and optionally a client certificate. Loaded once at start-up, so that a bad file refuses
// the start with a clear error rather than failing every reconnect.
//
// Thread ownership: immutable once loaded; shared with the shard the bridge lives on.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "net/transport/tls_context.h"

namespace ringmq {

// `cert_file` and `key_file` both empty: no client certificate. TLS 1.2 or later. Errors name the file.
absl::StatusOr<std::shared_ptr<const TlsContext>> LoadTlsClientContext(const std::string& ca_file,
                                                                       const std::string& cert_file,
                                                                       const std::string& key_file);

}  // namespace ringmq
