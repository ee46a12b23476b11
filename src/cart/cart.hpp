#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/model.hpp"
#include "core/expected.hpp"
#include "core/task.hpp"
#include "session/session.hpp"

namespace mc::catalog {
class CatalogService;
}

namespace mc::cart {

inline constexpr int kMaxLineQty = 99;
inline constexpr std::size_t kMaxLines = 50;

// A cart line as the shopper sees it: names and prices always from the catalog, never from the session.
struct Line {
  std::string sku;
  std::int64_t product_id = 0;
  std::string slug;
  catalog::Localized name;
  std::string category;
  std::string size;
  std::string color;
  int qty = 0;
  int stock = 0;
  std::int64_t unit_price = 0;
  std::int64_t line_total = 0;
  bool available = true;  // false: fewer in stock than in the cart (or gone from the catalog)
};

struct Cart {
  std::vector<Line> items;
  int count = 0;  // units, for the badge
  std::int64_t total = 0;
};

struct Error {
  enum class Code { kUnknownSku, kInsufficientStock, kInvalidQuantity, kTooManyLines, kTooLargeForCookie };
  Code code;
  std::string message;  // for the API: what was wrong, in English
};

// The product a SKU belongs to: SKUs are "P{product id}-{COLOUR}-{SIZE}".
std::optional<std::int64_t> product_id_of(std::string_view sku);
// A quantity the shopper may ask for: 1..kMaxLineQty (`allow_zero` for "set": 0 removes).
bool valid_quantity(std::int64_t qty, bool allow_zero);

// The cart JSON of the API: {"items":[{"sku","product_id","name":{"ko","en"},"size","color","qty",
// "unit_price","line_total","available"}],"count","total","currency":"KRW"}.
std::string to_json(const Cart& cart);

class CartService {
 public:
  // `max_lines`: lines a cart may hold. Mode cookie passes more: there the cookie's 4096 bytes are the bound.
  CartService(session::SessionStore& sessions, catalog::CatalogService& catalog, std::size_t max_lines = kMaxLines);

  // The cart of `session` (an empty cart without one).
  Task<Cart> view(const session::Session* session);
  // Writes check the SKU (one of the catalog's) and the quantity (add: 1..kMaxLineQty; set: 0 removes) and
  // may change `session` (mode cookie re-seals it; then session.reissue is set).
  Task<Expected<Cart, Error>> add(session::Session& session, std::string sku, int qty);
  Task<Expected<Cart, Error>> set(session::Session& session, std::string sku, int qty);
  // At login: the guest cart of `guest` joins the cart of `user_id` (same SKU: quantities add, capped at
  // what is in stock and at kMaxLineQty; SKUs no longer sold are dropped).
  Task<void> merge_into_user(session::Session& guest, std::int64_t user_id);

 private:
  using Products = std::map<std::int64_t, std::shared_ptr<const catalog::Product>>;
  // The catalog's typed document (shared with the catalog's memo; null: no such product).
  Task<std::shared_ptr<const catalog::Product>> product(std::int64_t id);
  // The cart view of `lines`, with products already read in this request reused.
  Task<Cart> view_of(std::vector<session::CartLine> lines, Products products);
  Task<std::optional<catalog::Variant>> find_variant(const std::string& sku);

  session::SessionStore& sessions_;
  catalog::CatalogService& catalog_;
  std::size_t max_lines_;
};

}  // namespace mc::cart
