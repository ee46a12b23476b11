// The admin API: PUT /api/v1/admin/products/{id}. It exists only when an admin token is configured
// (admin.token, MYCLOTHES_ADMIN_TOKEN); a request names it as `Authorization: Bearer <token>`. The JSON CSRF
// rules of the API apply as to every state change.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <stdexcept>

#include "catalog/change.hpp"
#include "catalog/service.hpp"
#include "db/database.hpp"
#include "http/router.hpp"
#include "web/common.hpp"
#include "web/routes.hpp"
#include "web/shopper.hpp"

namespace mc::web {
namespace {

using Digest = std::array<unsigned char, 32>;

Digest sha256(std::string_view data) {
  Digest out{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &size, EVP_sha256(), nullptr) != 1 || size != out.size()) {
    throw std::runtime_error("SHA-256 failed");
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// `Authorization: Bearer <token>` naming `expected`. The digests are compared, in constant time, so neither
// the token's bytes nor its length show in the answer's timing.
bool bearer_matches(std::string_view header, std::string_view expected) {
  constexpr std::string_view kScheme = "Bearer ";
  if (header.size() <= kScheme.size() || !iequals(header.substr(0, kScheme.size()), kScheme)) return false;
  std::string_view given = header.substr(kScheme.size());
  while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
  while (!given.empty() && given.back() == ' ') given.remove_suffix(1);
  const Digest a = sha256(given);
  const Digest b = sha256(expected);
  return !given.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

http::Response invalid_input(const catalog::InvalidChange& e) {
  boost::json::object error{{"code", "invalid_input"}, {"message", e.message}};
  if (!e.field.empty()) error["field"] = e.field;
  return http::Response::json(422, boost::json::serialize(boost::json::object{{"error", std::move(error)}}));
}

http::Response no_such_product() {
  return http::Response::error(404, "not_found", "There is no product with that id.");
}

}  // namespace

void AdminApi::add_to(http::Router& router) {
  if (token_.empty()) return;  // no token, no admin API: the path is as unknown as any other
  router.add(http::Method::kPut, "/api/v1/admin/products/{id}",
             [this](http::Request& req) { return put_product(req); });
}

Task<http::Response> AdminApi::put_product(http::Request& req) {
  if (!bearer_matches(req.header("Authorization"), token_)) {
    auto r = http::Response::error(401, "unauthorized", "This needs the admin token: Authorization: Bearer <token>.");
    r.set("WWW-Authenticate", "Bearer");
    co_return r;
  }
  if (auto refused = shopper::refuse_unsafe_json(req)) co_return std::move(*refused);
  const auto id = detail::parse_id(req.path_params[0]);
  if (!id) co_return no_such_product();
  auto change = catalog::parse_product_change(req.body);
  if (!change) co_return invalid_input(change.error());

  auto update = co_await catalog_.update_product(*id, std::move(change).value());
  switch (update.outcome) {
    case catalog::Update::Outcome::kNotFound:
      co_return no_such_product();
    case catalog::Update::Outcome::kForeignSku:
      co_return invalid_input({"variants", update.sku + " is not a SKU of this product"});
    case catalog::Update::Outcome::kUpdated:
      break;
  }
  spdlog::info("admin: product {} changed{}", *id, update.published ? "" : " (the cache did not confirm it)");
  if (!update.published) {
    // Saved, but the cache may still hold the old document for other instances: the same PUT again is
    // harmless and publishes it.
    auto r = http::Response::error(503, "unavailable",
                                   "The change is saved, but the cache could not be told yet, so other instances may "
                                   "still show the old values. Send the same request again.");
    r.set("Retry-After", "1");
    co_return r;
  }
  auto r = http::Response::json(200, std::move(update.body));
  r.set("X-DB", "primary");
  r.set("Cache-Control", "no-store");
  co_return r;
}

}  // namespace mc::web
