// MQTT 5 enhanced authentication (section 4.12) as an extension point.
//
// An Authenticator implements one authentication method (the CONNECT "Authentication Method"
// property). For each exchange - a CONNECT naming the method, or a later re-authentication - the broker
// asks it for a fresh AuthExchange, hands it the client's authentication data, and relays each step
// over AUTH packets until the exchange succeeds or fails. The broker keeps one AuthenticatorRegistry
// per shard; an authentication module plugs in by adding its Authenticator there
// (net/authenticators.cc).
//
// Thread ownership: an Authenticator and the registry belong to one shard and are used only by its
// thread; an AuthExchange belongs to the connection it authenticates.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/reason_code.h"

namespace ringmq {

// What the broker does after a step of the exchange.
struct AuthStep {
  enum class Kind : uint8_t {
    kContinue,  // send AUTH 0x18 (Continue authentication) carrying `data`; the client answers
    kSuccess,   // done: CONNACK 0x00 (or AUTH 0x00 after re-authentication), carrying `data` if any
    kFailure,   // refused: CONNACK (or DISCONNECT after re-authentication) with `failure_reason`
  };
  Kind kind = Kind::kFailure;
  std::string data;  // Authentication Data for the client; empty = none
  ReasonCode failure_reason = ReasonCode::kNotAuthorized;
  // On success: the user the client proved to be (empty when the method has no notion of one). A
  // re-authentication must prove the same user (it is passed back as AuthSubject::username).
  std::string identity;

  static AuthStep Continue(std::string data) { return {Kind::kContinue, std::move(data), ReasonCode::kSuccess, {}}; }
  static AuthStep Success(std::string data = {}, std::string identity = {}) {
    return {Kind::kSuccess, std::move(data), ReasonCode::kSuccess, std::move(identity)};
  }
  static AuthStep Failure(ReasonCode reason) { return {Kind::kFailure, {}, reason, {}}; }
};

// Who is authenticating: from the CONNECT that began the connection.
struct AuthSubject {
  std::string_view client_id;  // empty when the broker is to assign one
  // The CONNECT's User Name (empty when none was given); on re-authentication, the identity the
  // connection's first exchange proved. A method with users must refuse to prove another one.
  std::string_view username;
};

// One authentication exchange of one connection.
class AuthExchange {
 public:
  virtual ~AuthExchange() = default;
  // The first step: the Authentication Data of the CONNECT (or of the AUTH 0x19 that re-authenticates).
  virtual AuthStep Start(const AuthSubject& subject, std::string_view data) = 0;
  // Each further step: the Authentication Data of the client's AUTH 0x18.
  virtual AuthStep Continue(std::string_view data) = 0;
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual std::string_view method() const = 0;
  virtual std::unique_ptr<AuthExchange> NewExchange() = 0;
};

class AuthenticatorRegistry {
 public:
  void Add(std::unique_ptr<Authenticator> authenticator) { authenticators_.push_back(std::move(authenticator)); }
  // The authenticator of `method`, or nullptr: the broker then answers 0x8C (Bad authentication method).
  Authenticator* Find(std::string_view method) const {
    for (const auto& authenticator : authenticators_) {
      if (authenticator->method() == method) return authenticator.get();
    }
    return nullptr;
  }
  bool empty() const { return authenticators_.empty(); }

 private:
  std::vector<std::unique_ptr<Authenticator>> authenticators_;
};

}  // namespace ringmq
