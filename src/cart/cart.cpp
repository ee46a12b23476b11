#include "cart/cart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <map>

#include "catalog/service.hpp"

namespace mc::cart {
namespace json = boost::json;

std::optional<std::int64_t> product_id_of(std::string_view sku) {
  if (sku.size() < 2 || sku.size() > 64 || sku.front() != 'P') return std::nullopt;
  const auto dash = sku.find('-');
  if (dash == std::string_view::npos || dash == 1) return std::nullopt;
  std::int64_t id = 0;
  const auto* end = sku.data() + dash;
  if (std::from_chars(sku.data() + 1, end, id).ptr != end || id <= 0) return std::nullopt;
  return id;
}

bool valid_quantity(std::int64_t qty, bool allow_zero) {
  return qty <= kMaxLineQty && (qty >= 1 || (allow_zero && qty == 0));
}

std::string to_json(const Cart& cart) {
  json::array items;
  for (const auto& l : cart.items) {
    items.emplace_back(json::object{{"sku", l.sku},
                                    {"product_id", l.product_id},
                                    {"slug", l.slug},
                                    {"name", json::object{{"ko", l.name.ko}, {"en", l.name.en}}},
                                    {"size", l.size},
                                    {"color", l.color},
                                    {"qty", l.qty},
                                    {"stock", l.stock},
                                    {"unit_price", l.unit_price},
                                    {"line_total", l.line_total},
                                    {"available", l.available}});
  }
  return json::serialize(
      json::object{{"items", std::move(items)}, {"count", cart.count}, {"total", cart.total}, {"currency", "KRW"}});
}

namespace {
Error too_large() {
  return Error{Error::Code::kTooLargeForCookie,
               "the cart no longer fits in its cookie (4096 bytes); check out or remove a line first"};
}
}  // namespace

CartService::CartService(session::SessionStore& sessions, catalog::CatalogService& catalog, std::size_t max_lines)
    : sessions_(sessions), catalog_(catalog), max_lines_(max_lines) {}

Task<std::shared_ptr<const catalog::Product>> CartService::product(std::int64_t id) {
  auto served = co_await catalog_.product(id);
  co_return std::move(served.doc);  // null when not found (or its cached text was malformed)
}

Task<std::optional<catalog::Variant>> CartService::find_variant(const std::string& sku) {
  const auto id = product_id_of(sku);
  if (!id) co_return std::nullopt;
  auto p = co_await product(*id);
  if (!p) co_return std::nullopt;
  for (const auto& v : p->variants) {
    if (v.sku == sku) co_return v;
  }
  co_return std::nullopt;
}

Task<Cart> CartService::view(const session::Session* session) {
  if (session == nullptr) co_return Cart{};
  auto lines = co_await sessions_.cart(*session);
  Products none;
  co_return co_await view_of(std::move(lines), std::move(none));
}

Task<Cart> CartService::view_of(std::vector<session::CartLine> lines, Products products) {
  Cart cart;
  std::sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.sku < b.sku; });
  for (const auto& line : lines) {
    Line out;
    out.sku = line.sku;
    out.qty = line.qty;
    const auto id = product_id_of(line.sku);
    const catalog::Variant* variant = nullptr;
    if (id) {
      auto it = products.find(*id);
      if (it == products.end()) {
        auto loaded = co_await product(*id);
        it = products.emplace(*id, std::move(loaded)).first;
      }
      if (it->second) {
        const auto& p = *it->second;
        out.product_id = p.id;
        out.slug = p.slug;
        out.name = p.name;
        out.category = p.category;
        out.unit_price = p.price;
        for (const auto& v : p.variants) {
          if (v.sku == line.sku) variant = &v;
        }
      }
    }
    if (variant) {
      out.size = variant->size;
      out.color = variant->color;
      out.stock = variant->stock;
      out.available = variant->stock >= line.qty;
    } else {
      out.available = false;  // the product or the size is gone: shown so the shopper can remove it
      out.unit_price = 0;
    }
    out.line_total = out.unit_price * out.qty;
    cart.count += out.qty;
    cart.total += out.line_total;
    cart.items.push_back(std::move(out));
  }
  co_return cart;
}

Task<Expected<Cart, Error>> CartService::add(session::Session& session, std::string sku, int qty) {
  if (!valid_quantity(qty, false)) {
    co_return Unexpected(
        Error{Error::Code::kInvalidQuantity, fmt::format("qty must be an integer from 1 to {}", kMaxLineQty)});
  }
  const auto id = product_id_of(sku);
  std::shared_ptr<const catalog::Product> p;
  if (id) p = co_await product(*id);
  const catalog::Variant* variant = nullptr;
  if (p) {
    for (const auto& v : p->variants) {
      if (v.sku == sku) variant = &v;
    }
  }
  if (!variant) co_return Unexpected(Error{Error::Code::kUnknownSku, fmt::format("no product has the SKU {}", sku)});
  const int stock = variant->stock;
  if (stock <= 0) {
    co_return Unexpected(Error{Error::Code::kInsufficientStock, fmt::format("{} is sold out", sku)});
  }
  const int limit = std::min(stock, kMaxLineQty);
  auto added = co_await sessions_.add(session, sku, qty, limit, static_cast<int>(max_lines_));
  if (added.status == session::AddResult::Status::kTooManyLines) {
    co_return Unexpected(Error{Error::Code::kTooManyLines, fmt::format("a cart holds at most {} lines", max_lines_)});
  }
  if (added.status == session::AddResult::Status::kTooLarge) co_return Unexpected(too_large());
  if (added.status != session::AddResult::Status::kAdded) {
    co_return Unexpected(
        Error{Error::Code::kInsufficientStock,
              fmt::format("only {} of {} can be in the cart ({} already there)", limit, sku, added.qty)});
  }
  Products known;
  known.emplace(*id, std::move(p));
  co_return co_await view_of(std::move(added.cart), std::move(known));
}

Task<Expected<Cart, Error>> CartService::set(session::Session& session, std::string sku, int qty) {
  if (!valid_quantity(qty, true)) {
    co_return Unexpected(
        Error{Error::Code::kInvalidQuantity, fmt::format("qty must be an integer from 0 to {}", kMaxLineQty)});
  }
  if (!product_id_of(sku))
    co_return Unexpected(Error{Error::Code::kUnknownSku, fmt::format("no product has the SKU {}", sku)});
  if (qty > 0) {
    const auto variant = co_await find_variant(sku);
    if (!variant) co_return Unexpected(Error{Error::Code::kUnknownSku, fmt::format("no product has the SKU {}", sku)});
    if (qty > variant->stock) {
      co_return Unexpected(Error{Error::Code::kInsufficientStock,
                                 fmt::format("only {} of {} in stock", std::max(0, variant->stock), sku)});
    }
  }
  if (!co_await sessions_.set(session, std::move(sku), qty)) co_return Unexpected(too_large());
  co_return co_await view(&session);
}

Task<void> CartService::merge_into_user(session::Session& guest, std::int64_t user_id) {
  if (guest.user_id != 0) co_return;  // already a user's session: nothing of a guest to merge
  auto lines = co_await sessions_.cart(guest);
  if (lines.empty()) co_return;
  std::vector<session::CartLine> limits;
  for (const auto& line : lines) {
    const auto v = co_await find_variant(line.sku);
    limits.push_back(session::CartLine{line.sku, v ? std::clamp(v->stock, 0, kMaxLineQty) : 0});
  }
  co_await sessions_.merge_into_user(guest, user_id, std::move(limits));
}

}  // namespace mc::cart
