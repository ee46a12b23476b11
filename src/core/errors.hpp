#pragma once

// The one error policy (docs/architecture.md, "Errors"): what a shopper did wrong travels as a value (each
// feature's `Error`, which knows nothing of HTTP; src/web maps it to a status and an API code), and a
// dependency that cannot answer — PostgreSQL, Redis, the session store — is this one exception, thrown
// wherever it is noticed and answered once, at the root (http middleware): 503 with Retry-After, the API's
// JSON error under /api/, the store's "temporarily unavailable" page elsewhere. Anything else that escapes
// a handler is a bug: logged with the request id, answered 500, never shown to the client.

#include <chrono>
#include <stdexcept>
#include <string>

namespace mc {

class Unavailable : public std::runtime_error {
 public:
  explicit Unavailable(const std::string& what, std::chrono::seconds retry_after = std::chrono::seconds(1))
      : std::runtime_error(what), retry_after_(retry_after) {}
  std::chrono::seconds retry_after() const { return retry_after_; }

 private:
  std::chrono::seconds retry_after_;
};

}  // namespace mc
