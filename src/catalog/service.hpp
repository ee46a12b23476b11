#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "cache/parsed_memo.hpp"
#include "catalog/model.hpp"
#include "catalog/repository.hpp"
#include "core/config.hpp"
#include "core/task.hpp"

namespace mc::cache {
class CacheAside;
}

namespace mc::catalog {

// What a read is for. The JSON API sends the cached text as it is and never needs the object, so its hits
// stay one GET and a write; pages and the cart work on the typed document.
enum class Need { kDocument, kText };

// A catalog document, both typed and as the JSON text that is cached and sent, and where it came from.
template <class T>
struct Served {
  // Need::kDocument and found: the document, made from the row on a miss, or on a hit taken from the
  // thread's memo when the cached text is the one it was made from (else parsed once). Null when nothing
  // was found, only the text was asked for, or the cached text could not be read.
  std::shared_ptr<const T> doc;
  std::string body;  // the JSON text, byte for byte as cached (API.md's document)
  bool found = true;
  bool hit = false;         // X-Cache
  std::string db = "none";  // X-DB: primary | replica | none
};

// The document of a read made with Need::kDocument that found one; throws when its cached text was malformed.
template <class T>
const T& document(const Served<T>& s) {
  if (!s.doc) throw std::runtime_error("malformed catalog document");
  return *s.doc;
}

// What an administrator's product change did.
struct Update {
  enum class Outcome { kUpdated, kNotFound, kForeignSku };
  Outcome outcome = Outcome::kNotFound;
  std::string body;        // kUpdated: the fresh product document (as the primary has it)
  std::string sku;         // kForeignSku: a SKU that is not one of the product's
  bool published = false;  // kUpdated: the cache took the change (false: the store did not confirm it)
};

// Catalog reads through cache-aside. Cache keys:
//   mc:product:{id}               the product document
//   mc:slug:{slug}                slug -> id
//   mc:catalog:version            bumped by any catalog write; part of every listing key, so one write
//   mc:list:{version}:{query}     makes every cached listing and search unreachable at once
//   mc:categories:{version}
//   mc:catalog:lsn                the last catalog write's WAL position (16 hex digits), moved together with
//                                 the version (cache::Store::publish)
//   mc:lock:{key}                 the cross-instance load lock of a cold key (cache::CacheAside)
//
// Freshness after a write (PUT /api/v1/admin/products/{id}, update_product): the write commits on the
// primary; its product document, read back from the primary, replaces the cached one (write-through), and
// the version and position move in the same step. A loader that fills a key on a miss reads the version and
// the position in one round trip (MGET) and reads the database with query_after(position): a replica that
// has replayed the write, else the primary. So no instance can refill a listing or a product from a replica
// that has not seen the last write. Fills are cached only while the version is still the one their load
// began under, so a load that raced a write never overwrites the written document. A product hit stays one
// GET: only its loader reads the version and position.
//
// Two things are also held in the thread itself, because every page needs them and they barely change:
// the categories (the navigation; held for kCategoriesHold) and slug -> id (a product's slug never
// changes; held for kSlugHold, at most kSlugEntries). Product documents and listings are read from the
// cache every time, so a price or stock change shows at once. With the cache switched off
// (cache.enabled = false) nothing is held: every read goes to the database.
//
// The typed documents are not parsed back from their text on every hit: each thread remembers the objects
// it last made, each with the exact text it was made from (cache::ParsedMemo). A hit whose text is that
// text reuses the object; any other text is parsed (and remembered), so an object never outlives its
// document. A miss makes the object from the row and serializes it once; a write-through does the same.
class CatalogService {
 public:
  CatalogService(CatalogRepository& repository, cache::CacheAside& cache, const CacheConfig& config);

  Task<Served<std::vector<Category>>> categories();
  Task<Served<Product>> product(std::int64_t id, Need need = Need::kDocument);
  Task<Served<Product>> product_by_slug(std::string slug);
  Task<Served<Listing>> list(const ListingQuery& query, Need need = Need::kDocument);

  // An administrator's change: written on the primary, then published to the cache (see above). Throws
  // db::Error when the primary cannot answer.
  Task<Update> update_product(std::int64_t id, ProductChange change);

  // After a write to a product: its document goes, and every listing moves to a new version.
  Task<void> invalidate_product(std::int64_t id);
  // After their stock changed (an order written at `lsn`): only their documents go, so their pages show the
  // new stock at once, and the next load reads a server that has seen the order (never a lagging replica).
  Task<void> forget_products(std::vector<std::int64_t> ids, db::Lsn lsn);

 private:
  // The catalog's version and last write position, in one round trip; both 0 when the store cannot say.
  struct Position {
    std::int64_t version = 0;
    db::Lsn lsn = 0;
  };
  Task<Position> position();

  static constexpr std::chrono::milliseconds kCategoriesHold{1000};
  static constexpr std::chrono::seconds kSlugHold{60};
  static constexpr std::size_t kSlugEntries = 20000;
  static constexpr std::size_t kParsedProducts = 4096;
  static constexpr std::size_t kParsedListings = 512;
  struct HeldCategories {
    Served<std::vector<Category>> served;
    std::chrono::steady_clock::time_point until;
  };
  struct HeldSlug {
    std::int64_t id;
    std::chrono::steady_clock::time_point until;
  };
  std::optional<HeldCategories> categories_;
  std::unordered_map<std::string, HeldSlug> slugs_;
  // By document: mc:product:{id}; a listing's canonical query (not its versioned key, so a new version
  // replaces the entry); one entry for the categories.
  cache::ParsedMemo<Product> products_{kParsedProducts};
  cache::ParsedMemo<Listing> listings_{kParsedListings};
  cache::ParsedMemo<std::vector<Category>> categories_parsed_{1};

  CatalogRepository& repository_;
  cache::CacheAside& cache_;
  CacheConfig config_;
  db::Lsn last_write_ = 0;  // the position of this thread's last catalog write
  bool hold_;               // false with the cache switched off: nothing is held in the thread either
};

}  // namespace mc::catalog
