#include <fmt/format.h>
#include <boost/json.hpp>

#include <map>
#include <mutex>

#include "catalog/query.hpp"
#include "catalog/repository.hpp"
#include "catalog/sql.hpp"
#include "db/database.hpp"

namespace mc::catalog {
namespace {

struct BuiltStatement {
  db::Statement statement;
  db::Params params;
};

std::string_view order_by(Sort sort, bool korean_names, bool outer) {
  // The outer query orders the page's rows again by the same keys, read from the CTE.
  switch (sort) {
    case Sort::kRelevance:
      return outer ? "page.score DESC, page.featured DESC, page.id" : "score DESC, p.featured DESC, p.id";
    case Sort::kNew:
      return outer ? "page.created_at DESC, page.id DESC" : "p.created_at DESC, p.id DESC";
    case Sort::kPriceAsc:
      return outer ? "page.price, page.id" : "p.price, p.id";
    case Sort::kPriceDesc:
      return outer ? "page.price DESC, page.id DESC" : "p.price DESC, p.id DESC";
    case Sort::kName:
      if (korean_names) return outer ? "page.name_ko, page.id" : "p.name_ko, p.id";
      return outer ? "page.name_en, page.id" : "p.name_en, p.id";
  }
  return "p.id";
}

// The SQL text of each shape is built once and kept for the life of the process (prepared statements
// refer to it by name on every connection).
const std::string& shape_sql(const std::string& shape, const std::function<std::string()>& build) {
  static std::mutex mutex;
  static std::map<std::string, std::string> shapes;
  std::lock_guard lock(mutex);
  auto it = shapes.find(shape);
  if (it == shapes.end()) it = shapes.emplace(shape, build()).first;
  return it->second;
}

BuiltStatement listing_statement(const ListingQuery& q) {
  db::Params params;
  std::string where;
  std::string shape = "catalog_list";
  auto param = [&](std::string value) {
    params.emplace_back(std::move(value));
    return "$" + std::to_string(params.size());
  };

  if (q.category) {
    where += fmt::format("\n    AND p.category_id = (SELECT id FROM categories WHERE slug = {})", param(*q.category));
    shape += "_c";
  }
  if (q.featured_only) {
    where += "\n    AND p.featured";
    shape += "_f";
  }
  if (q.min_price) {
    where += fmt::format("\n    AND p.price >= {}::bigint", param(std::to_string(*q.min_price)));
    shape += "_min";
  }
  if (q.max_price) {
    where += fmt::format("\n    AND p.price <= {}::bigint", param(std::to_string(*q.max_price)));
    shape += "_max";
  }
  if (q.size || q.color) {
    // A size or colour filter means "available in": some variant with stock.
    std::string variant = "v.product_id = p.id AND v.stock > 0";
    if (q.size) variant += " AND v.size = " + param(*q.size);
    if (q.color) variant += " AND v.color = " + param(*q.color);
    where += fmt::format("\n    AND EXISTS (SELECT 1 FROM product_variants v WHERE {})", variant);
    shape += q.size ? "_s" : "";
    shape += q.color ? "_co" : "";
  }
  std::string score = "0";
  if (!q.terms.empty()) {
    std::string joined;
    for (const auto& t : q.terms) {
      where += fmt::format("\n    AND p.search_text LIKE {}", param(contains_pattern(t)));
      joined += (joined.empty() ? "" : " ") + t;
    }
    score = fmt::format("similarity(lower(p.name_ko || ' ' || p.name_en), {}::text)", param(joined));
    shape += fmt::format("_q{}", q.terms.size());
  }
  const std::string limit = param(std::to_string(q.per_page));
  const std::string offset = param(std::to_string(static_cast<std::int64_t>(q.page - 1) * q.per_page));
  shape += fmt::format("_{}{}", to_string(q.sort), q.sort == Sort::kName && q.name_in_korean ? "_ko" : "");

  const std::string& text = shape_sql(shape, [&] {
    return fmt::format(fmt::runtime(sql::kListingHead), fmt::arg("score", score), fmt::arg("where", where),
                       fmt::arg("order", order_by(q.sort, q.name_in_korean, false)), fmt::arg("limit", limit),
                       fmt::arg("offset", offset), fmt::arg("outer_order", order_by(q.sort, q.name_in_korean, true)));
  });
  const std::string& name = shape_sql("name:" + shape, [&] { return shape; });
  return {db::Statement{name, text}, std::move(params)};
}

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto comma = s.find(',');
    out.emplace_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

Product product_from_row(const db::Result& r) {
  Product p;
  p.id = r.int64(0, 0);
  p.slug = r.text(0, 1);
  p.name = {std::string(r.text(0, 2)), std::string(r.text(0, 3))};
  p.description = {std::string(r.text(0, 4)), std::string(r.text(0, 5))};
  p.category = r.text(0, 6);
  p.price = r.int64(0, 7);
  p.featured = r.boolean(0, 8);
  const auto variants = boost::json::parse(r.text(0, 9)).as_array();
  p.variants.reserve(variants.size());
  for (const auto& v : variants) {
    const auto& a = v.as_array();
    p.variants.push_back(Variant{std::string(a.at(0).as_string()), std::string(a.at(1).as_string()),
                                 std::string(a.at(2).as_string()), static_cast<int>(a.at(3).to_number<int>())});
  }
  return p;
}

// A PostgreSQL array literal: {"a","b"}, each element quoted and escaped.
std::string text_array(const std::vector<StockChange>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += i ? ",\"" : "\"";
    for (char c : items[i].sku) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string int_array(const std::vector<StockChange>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + std::to_string(items[i].stock);
  return out + "}";
}

db::Param optional_param(const std::optional<std::string>& value) { return value ? db::Param(*value) : std::nullopt; }

class PgCatalogRepository final : public CatalogRepository {
 public:
  explicit PgCatalogRepository(db::Cluster& db) : db_(db) {}

  Task<FromDb<std::vector<Category>>> categories() override { return categories_after(0); }
  Task<FromDb<std::optional<Product>>> product(std::int64_t id) override { return product_after(id, 0); }
  Task<FromDb<Listing>> list(ListingQuery query) override { return list_after(std::move(query), 0); }

  Task<FromDb<std::vector<Category>>> categories_after(db::Lsn after) override {
    db::Params params;
    auto r = co_await db_.query_after(sql::kSelectCategories, std::move(params), after);
    std::vector<Category> out;
    out.reserve(r.rows());
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back(
          Category{std::string(r.text(i, 0)), {std::string(r.text(i, 1)), std::string(r.text(i, 2))}, r.int64(i, 3)});
    }
    co_return FromDb<std::vector<Category>>{std::move(out), std::string(db::to_string(r.served_by()))};
  }

  Task<FromDb<std::optional<Product>>> product_after(std::int64_t id, db::Lsn after) override {
    // (Arguments are built before co_await: GCC 12 miscompiles braced lists inside co_await expressions.)
    db::Params params{std::to_string(id)};
    auto r = co_await db_.query_after(sql::kSelectProductById, std::move(params), after);
    std::optional<Product> p;
    if (r.rows() > 0) p = product_from_row(r);
    co_return FromDb<std::optional<Product>>{std::move(p), std::string(db::to_string(r.served_by()))};
  }

  Task<FromDb<std::optional<std::int64_t>>> product_id_by_slug(std::string slug) override {
    db::Params params{std::move(slug)};
    auto r = co_await db_.query(db::Role::kReplica, sql::kSelectProductIdBySlug, std::move(params));
    std::optional<std::int64_t> id;
    if (r.rows() > 0) id = r.int64(0, 0);
    co_return FromDb<std::optional<std::int64_t>>{id, std::string(db::to_string(r.served_by()))};
  }

  Task<FromDb<Listing>> list_after(ListingQuery query, db::Lsn after) override {
    auto built = listing_statement(query);
    auto r = co_await db_.query_after(built.statement, std::move(built.params), after);
    Listing listing;
    listing.page = query.page;
    listing.per_page = query.per_page;
    listing.items.reserve(r.rows());
    for (int i = 0; i < r.rows(); ++i) {
      ProductSummary s;
      s.id = r.int64(i, 0);
      s.slug = r.text(i, 1);
      s.name = {std::string(r.text(i, 2)), std::string(r.text(i, 3))};
      s.category = r.text(i, 4);
      s.price = r.int64(i, 5);
      s.colors = split_commas(r.text(i, 6));
      s.in_stock = r.boolean(i, 7);
      listing.total = r.int64(i, 8);
      listing.items.push_back(std::move(s));
    }
    co_return FromDb<Listing>{std::move(listing), std::string(db::to_string(r.served_by()))};
  }

  Task<ProductWrite> update_product(std::int64_t id, ProductChange change) override {
    db::Params params{std::to_string(id),
                      optional_param(change.name_ko),
                      optional_param(change.name_en),
                      optional_param(change.description_ko),
                      optional_param(change.description_en),
                      change.price ? db::Param(std::to_string(*change.price)) : std::nullopt,
                      text_array(change.stock),
                      int_array(change.stock)};
    const auto r = co_await db_.query(db::Role::kPrimary, sql::kUpdateProduct, std::move(params));
    ProductWrite out;
    if (r.rows() != 1 || r.int64(0, 0) == 0) co_return out;  // no such product
    if (!r.is_null(0, 1)) {
      out.outcome = ProductWrite::Outcome::kForeignSku;
      out.sku = r.text(0, 1);
      co_return out;
    }
    // The position first, then the document: whatever the document shows was committed at or before a
    // position the cache can compare with other writes' (see cache::Store::publish).
    out.lsn = co_await db_.primary_lsn();
    db::Params read{std::to_string(id)};
    const auto fresh = co_await db_.query(db::Role::kPrimary, sql::kSelectProductById, std::move(read));
    if (fresh.rows() == 0) co_return out;  // deleted meanwhile
    out.outcome = ProductWrite::Outcome::kUpdated;
    out.product = product_from_row(fresh);
    co_return out;
  }

 private:
  db::Cluster& db_;
};

}  // namespace

std::unique_ptr<CatalogRepository> make_pg_repository(db::Cluster& db) {
  return std::make_unique<PgCatalogRepository>(db);
}

}  // namespace mc::catalog
