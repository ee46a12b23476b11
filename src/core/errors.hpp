#pragma once

// The one error policy (docs/architecture.md, "Errors"): what a shopper did wrong travels as a value (each
// feature's `Error`, which knows nothing of HTTP; src/web maps it to a status and an API code), and a
// dependency that cannot answer — PostgreSQL, Redis, the session store — is this one exception, thrown
// wherever it is noticed and answered once, at the root (http middleware): 503 with Retry-After, the API's
// JSON error under /api/, the store's "temporarily unavailable" page elsewhere. Anything else that escapes
// a handler is a bug: logged with the request id, answered 500, never shown to the client.
//
// An outage that the shopper should hear more about than "briefly unavailable" is a subclass carrying its
// own API code and sentence (NotConfirmed below); the answer stays a 503 with Retry-After, so clients that
// retry on 503 need to know nothing new.

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace mc {

class Unavailable : public std::runtime_error {
 public:
  // `what` is for the log only; the client gets the general answer.
  explicit Unavailable(const std::string& what, std::chrono::seconds retry_after = std::chrono::seconds(1))
      : std::runtime_error(what), retry_after_(retry_after) {}
  std::chrono::seconds retry_after() const { return retry_after_; }

  // The API error code and the English sentence the client is given; empty: the general "unavailable".
  const std::string& code() const { return code_; }
  const std::string& client_message() const { return client_message_; }

 protected:
  Unavailable(const std::string& what, std::string code, std::string client_message,
              std::chrono::seconds retry_after = std::chrono::seconds(1))
      : std::runtime_error(what),
        retry_after_(retry_after),
        code_(std::move(code)),
        client_message_(std::move(client_message)) {}

 private:
  std::chrono::seconds retry_after_;
  std::string code_;
  std::string client_message_;
};

// A write was made but its durability could not be confirmed (Redis: fewer replicas acknowledged it within
// the WAIT timeout than required). It may survive a failover or be lost in one, so the shopper must not be
// told it succeeded: 503 `not_confirmed`, and they look at their cart and try again.
class NotConfirmed : public Unavailable {
 public:
  static constexpr std::string_view kCode = "not_confirmed";
  static constexpr std::string_view kMessage = "Your change may not have been saved; please try again.";

  explicit NotConfirmed(const std::string& what)
      : Unavailable(what, std::string(kCode), std::string(kMessage), std::chrono::seconds(1)) {}
};

}  // namespace mc
