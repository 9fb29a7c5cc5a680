#include "net/transport/listen_url.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "net/listener.h"

namespace ringmq {
namespace {

struct SchemeEntry {
  std::string_view name;
  ListenScheme scheme;
};
constexpr SchemeEntry kSchemes[] = {
    {"mqtt", ListenScheme::kMqtt}, {"mqtts", ListenScheme::kMqtts},
    {"ws", ListenScheme::kWs},     {"wss", ListenScheme::kWss},
};

absl::Status Bad(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("--listen '", text, "': ", why));
}

absl::Status ApplyQuery(absl::string_view text, absl::string_view query, ListenUrl& url) {
  for (absl::string_view item : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const std::pair<absl::string_view, absl::string_view> pair = absl::StrSplit(item, absl::MaxSplits('=', 1));
    if (pair.first != "proxy_protocol") {
      return Bad(text, absl::StrCat("unknown option '", pair.first, "' (known: proxy_protocol=0|1)"));
    }
    if (pair.second != "0" && pair.second != "1") return Bad(text, "proxy_protocol must be 0 or 1");
    url.proxy_protocol = pair.second == "1";
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view SchemeName(ListenScheme scheme) {
  for (const SchemeEntry& entry : kSchemes) {
    if (entry.scheme == scheme) return entry.name;
  }
  return "?";
}

std::string ListenUrl::ToString() const {
  return absl::StrCat(std::string(SchemeName(scheme)), "://", address.ToString(), path,
                      proxy_protocol ? "?proxy_protocol=1" : "");
}

absl::StatusOr<ListenUrl> ParseListenUrl(std::string_view std_text) {
  const absl::string_view text(std_text.data(), std_text.size());
  ListenUrl url;
  absl::string_view rest = text;
  if (const size_t separator = rest.find("://"); separator != absl::string_view::npos) {
    const absl::string_view name = rest.substr(0, separator);
    const SchemeEntry* found = nullptr;
    for (const SchemeEntry& entry : kSchemes) {
      if (entry.name == std::string_view(name.data(), name.size())) found = &entry;
    }
    if (found == nullptr) return Bad(text, absl::StrCat("unknown scheme '", name, "' (use mqtt, mqtts, ws or wss)"));
    url.scheme = found->scheme;
    rest.remove_prefix(separator + 3);
  }
  if (const size_t question = rest.find('?'); question != absl::string_view::npos) {
    if (absl::Status status = ApplyQuery(text, rest.substr(question + 1), url); !status.ok()) return status;
    rest = rest.substr(0, question);
  }
  // The path starts at the first '/' (an IPv6 address is bracketed and has none).
  if (const size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    url.path = std::string(rest.substr(slash));
    rest = rest.substr(0, slash);
  }
  if (rest.empty()) return Bad(text, "no host:port");
  if (!url.websocket() && !url.path.empty()) {
    return Bad(text, absl::StrCat("a path belongs to ws:// and wss:// listeners only, not ",
                                  std::string(SchemeName(url.scheme)), "://"));
  }
  if (url.websocket() && url.path.empty()) url.path = std::string(kDefaultWebSocketPath);
  if (rest.find(':') == absl::string_view::npos) return Bad(text, "no port (host:port, [v6]:port or :port)");
  absl::StatusOr<ListenAddress> address = ParseListenAddress(std::string_view(rest.data(), rest.size()));
  if (!address.ok()) return Bad(text, address.status().message());
  url.address = *std::move(address);
  return url;
}

}  // namespace ringmq
