#include "catalog/seed.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "catalog/palette.hpp"
#include "catalog/seed_vocabulary.hpp"
#include "db/blocking.hpp"

namespace mc::catalog {
namespace {

using detail::CategoryVocabulary;
using detail::Garment;
using detail::Sentence;
using detail::Word;

// pg_advisory_xact_lock key for seeding ("mcseedlk"): two seeds started at once must not both see an empty
// catalog and both fill it.
constexpr std::string_view kSeedLockKey = "7882270652158471275";
constexpr std::int64_t kProductsPerChunk = 5'000;  // products per COPY pair, and per progress call
constexpr std::int64_t kSeedSpanSeconds = 365 * 86'400;

std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// splitmix64: tiny, fast, and the same sequence everywhere, which std:: distributions do not promise.
class Rng {
 public:
  explicit Rng(std::uint64_t state) : state_(state) {}
  std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    return mix64(state_);
  }
  std::uint64_t below(std::uint64_t n) { return next() % n; }  // bias is < n / 2^64: irrelevant here
  bool chance(int percent) { return below(100) < static_cast<std::uint64_t>(percent); }

  template <class T>
  const T& pick(std::span<const T> items) {
    return items[below(items.size())];
  }

 private:
  std::uint64_t state_;
};

template <class T>
const T& pick_weighted(Rng& rng, std::span<const T> items) {
  int total = 0;
  for (const auto& i : items) total += i.weight;
  auto r = static_cast<int>(rng.below(static_cast<std::uint64_t>(total)));
  for (const auto& i : items) {
    if (r < i.weight) return i;
    r -= i.weight;
  }
  return items.back();
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

void append_sentence(std::string& out, std::string_view pattern, std::string_view name, std::size_t colors) {
  std::string s(pattern);
  replace_all(s, "{name}", name);
  replace_all(s, "{n}", std::to_string(colors));
  if (!out.empty()) out.push_back(' ');
  out += s;
}

void append_word(std::string& out, std::string_view word) {
  if (!out.empty()) out.push_back(' ');
  out.append(word);
}

std::string upper_ascii(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// "Slim-fit Cotton T-Shirt", 42 -> "slim-fit-cotton-t-shirt-42".
std::string make_slug(std::string_view english, std::int64_t id) {
  std::string out;
  out.reserve(english.size() + 12);
  for (char c : english) {
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  if (!out.empty() && out.back() != '-') out.push_back('-');
  out += std::to_string(id);
  return out;
}

// Clothing runs XS/S..L/XL/XXL, waists 26/28..32/34/36, shoes a 6-11 wide window of 230..280.
std::pair<std::size_t, std::size_t> size_range(Rng& rng, std::size_t count) {
  if (count <= 1) return {0, count};
  if (count <= 6) {
    const std::size_t lo = rng.below(2);
    const std::size_t hi = std::min(count, 4 + static_cast<std::size_t>(rng.below(3)));  // exclusive
    return {lo, hi};
  }
  const std::size_t lo = rng.below(4);
  const std::size_t width = 6 + rng.below(count - lo - 5);
  return {lo, lo + width};
}

// Two to four distinct colours, the first usually a staple so the catalog looks like a real one.
std::size_t pick_colors(Rng& rng, std::array<std::size_t, 4>& chosen) {
  constexpr std::array<std::string_view, 7> kStaples{"black", "white", "navy", "grey", "beige", "khaki", "charcoal"};
  const auto colors = palette();
  const std::size_t want = 2 + rng.below(3);
  std::size_t n = 0;
  if (rng.chance(70)) {
    const auto staple = kStaples[rng.below(kStaples.size())];
    chosen[n++] = static_cast<std::size_t>(find_color(staple) - colors.data());
  }
  while (n < want) {
    const std::size_t c = rng.below(colors.size());
    if (std::find(chosen.begin(), chosen.begin() + static_cast<std::ptrdiff_t>(n), c) ==
        chosen.begin() + static_cast<std::ptrdiff_t>(n)) {
      chosen[n++] = c;
    }
  }
  return n;
}

std::int64_t pick_price(Rng& rng, const Garment& g) {
  const auto span = static_cast<std::uint64_t>(g.price_hi - g.price_lo);
  const std::int64_t raw = g.price_lo + static_cast<std::int64_t>(rng.below(span + 1));
  std::int64_t price = raw / 1000 * 1000;
  if (rng.chance(40)) price += 900;  // the familiar 39,900-style price
  return std::clamp(price, g.price_lo, g.price_hi);
}

int pick_stock(Rng& rng) {
  const auto r = rng.below(100);
  if (r < 10) return 0;
  if (r < 25) return 1 + static_cast<int>(rng.below(3));
  return 4 + static_cast<int>(rng.below(27));
}

void write_product(db::CopyWriter& w, const ProductRow& p) {
  const std::string at = format_utc_timestamp(p.created_at);
  w.field(p.id);
  w.field(p.slug);
  w.field(p.category_id);
  w.field(p.name_ko);
  w.field(p.name_en);
  w.field(p.description_ko);
  w.field(p.description_en);
  w.field(p.keywords);
  w.field(p.price);
  w.field(p.featured);
  w.field(at);
  w.field(at);
  w.end_row();
}

void write_variant(db::CopyWriter& w, const VariantRow& v) {
  w.field(v.sku);
  w.field(v.product_id);
  w.field(v.size);
  w.field(v.color);
  w.field(v.stock);
  w.field(v.position);
  w.end_row();
}

constexpr std::string_view kCopyProducts =
    "COPY products (id, slug, category_id, name_ko, name_en, description_ko, description_en, keywords, price, "
    "featured, created_at, updated_at) FROM STDIN";
constexpr std::string_view kCopyVariants =
    "COPY product_variants (sku, product_id, size, color, stock, position) FROM STDIN";

// For each plain index and foreign key of the seeded tables: its name, how to drop it and how to recreate it.
constexpr std::string_view kDeferredDefinitions = R"(
SELECT i.indexrelid::regclass::text,
       format('DROP INDEX %s', i.indexrelid::regclass),
       pg_get_indexdef(i.indexrelid)
  FROM pg_index i
 WHERE i.indrelid IN ('products'::regclass, 'product_variants'::regclass)
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
UNION ALL
SELECT c.conname,
       format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
  FROM pg_constraint c
 WHERE c.conrelid IN ('products'::regclass, 'product_variants'::regclass) AND c.contype = 'f'
 ORDER BY 1)";

}  // namespace

std::string format_utc_timestamp(std::int64_t unix_seconds) {
  // Howard Hinnant's civil_from_days: exact for the proleptic Gregorian calendar, no time zone database.
  std::int64_t days = unix_seconds / 86'400;
  std::int64_t secs = unix_seconds % 86'400;
  if (secs < 0) {
    secs += 86'400;
    --days;
  }
  const std::int64_t z = days + 719'468;
  const std::int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const std::int64_t doe = z - era * 146'097;
  const std::int64_t yoe = (doe - doe / 1'460 + doe / 36'524 - doe / 146'096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}+00", y, m, d, secs / 3600, secs / 60 % 60, secs % 60);
}

GeneratedProduct CatalogGenerator::product(std::int64_t id) const {
  GeneratedProduct out;
  product(id, out);
  return out;
}

void CatalogGenerator::product(std::int64_t id, GeneratedProduct& out) const {
  Rng rng(mix64(seed_ + 0x632BE59BD9B4E019ULL) ^ mix64(static_cast<std::uint64_t>(id)));
  const CategoryVocabulary& cat = pick_weighted(rng, detail::vocabulary());
  const CategoryInfo& info = *find_category_by_id(cat.category_id);
  const Garment& garment = pick_weighted(rng, cat.garments);

  const Word* style = rng.chance(75) ? &rng.pick(cat.styles) : nullptr;
  const Word* material = (!garment.materials.empty() && rng.chance(45)) ? &rng.pick(garment.materials) : nullptr;

  ProductRow& p = out.product;
  p.id = id;
  p.category_id = info.id;
  p.name_ko.clear();
  p.name_en.clear();
  for (const Word* w : {style, material, &garment.name}) {
    if (w == nullptr) continue;
    append_word(p.name_ko, w->ko);
    append_word(p.name_en, w->en);
  }
  p.slug = make_slug(p.name_en, id);
  p.price = pick_price(rng, garment);
  p.featured = rng.below(1000) < 20;
  p.created_at = kSeedEpochUnix - 1 - static_cast<std::int64_t>(rng.below(kSeedSpanSeconds));

  std::array<std::size_t, 4> colors{};
  const std::size_t color_count = pick_colors(rng, colors);

  p.description_ko.clear();
  p.description_en.clear();
  const std::size_t sentences = 1 + rng.below(3);
  const std::span<const Sentence> pools[] = {detail::intro_sentences(), detail::detail_sentences(),
                                             detail::closing_sentences()};
  for (std::size_t i = 0; i < sentences; ++i) {
    const Sentence& s = rng.pick(pools[i]);
    append_sentence(p.description_ko, s.ko, p.name_ko, color_count);
    append_sentence(p.description_en, s.en, p.name_en, color_count);
  }

  // Words shoppers search by that the name lacks: synonyms, the category and the colours on offer.
  p.keywords.assign(garment.keywords);
  append_word(p.keywords, info.name_ko);
  append_word(p.keywords, info.slug);
  const auto pal = palette();
  for (std::size_t i = 0; i < color_count; ++i) {
    append_word(p.keywords, pal[colors[i]].name_ko);
    append_word(p.keywords, pal[colors[i]].code);
  }

  const auto [size_lo, size_hi] = size_range(rng, info.sizes.size());
  const std::size_t variant_count = color_count * (size_hi - size_lo);
  out.variants.resize(variant_count);
  int position = 0;
  const std::string prefix = "P" + std::to_string(id) + "-";
  for (std::size_t c = 0; c < color_count; ++c) {
    const auto& color = pal[colors[c]];
    const std::string color_part = prefix + upper_ascii(color.code) + "-";
    for (std::size_t s = size_lo; s < size_hi; ++s) {
      VariantRow& v = out.variants[static_cast<std::size_t>(position)];
      v.product_id = id;
      v.size.assign(info.sizes[s]);
      v.color.assign(color.code);
      v.sku = color_part + upper_ascii(info.sizes[s]);
      v.stock = pick_stock(rng);
      v.position = position++;
    }
  }
}

Expected<SeedReport, std::string> seed_catalog(const std::string& conninfo, const SeedOptions& options,
                                               bool only_if_empty,
                                               const std::function<void(std::int64_t, std::int64_t)>& progress) {
  if (options.products < 0 || options.products > kMaxSeedProducts) {
    return Unexpected(fmt::format("products must be between 0 and {}, not {}", kMaxSeedProducts, options.products));
  }
  auto opened = db::BlockingConnection::open(conninfo);
  if (!opened) return Unexpected(opened.error());
  auto& conn = *opened;

  SeedReport report;
  const std::int64_t total = options.products;
  try {
    conn.exec("BEGIN");
    conn.exec("SELECT pg_advisory_xact_lock($1::bigint)", {std::string(kSeedLockKey)});
    std::int64_t existing = 0;
    try {
      existing = conn.exec("SELECT count(*) FROM products").int64(0, 0);
    } catch (const db::Error& e) {
      if (e.sqlstate() == "42P01") {  // undefined_table
        return Unexpected(std::string("the catalog tables do not exist; run `myclothes migrate` first"));
      }
      throw;
    }
    if (existing > 0) {
      conn.exec("ROLLBACK");
      if (only_if_empty) {
        report.products = existing;
        report.skipped = true;
        return report;
      }
      return Unexpected(fmt::format(
          "catalog already has {} products; seed only fills an empty catalog (use a fresh database, or seed "
          "with --if-empty to leave it as it is)",
          existing));
    }

    for (const auto& c : categories()) {
      conn.exec(
          "INSERT INTO categories (id, slug, name_ko, name_en, position) VALUES ($1, $2, $3, $4, $5) "
          "ON CONFLICT DO NOTHING",
          {std::to_string(c.id), std::string(c.slug), std::string(c.name_ko), std::string(c.name_en),
           std::to_string(c.position)});
    }
    for (const auto& c : palette()) {
      conn.exec("INSERT INTO colors (code, name_ko, name_en, hex) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                {std::string(c.code), std::string(c.name_ko), std::string(c.name_en), std::string(c.hex)});
    }

    // Loading into empty tables and then building each index and checking each foreign key once is several
    // times faster than maintaining them row by row. Their definitions come from the catalog, so whatever
    // the migrations say is what is rebuilt; constraint-backed indexes (keys other tables may reference)
    // stay. All of it is inside the transaction: a failure leaves the schema as it was.
    const auto deferred = conn.exec(std::string(kDeferredDefinitions));
    for (int r = 0; r < deferred.rows(); ++r) conn.exec(std::string(deferred.text(r, 1)));
    conn.exec("SET LOCAL maintenance_work_mem = '256MB'");

    if (progress) progress(0, total);
    const CatalogGenerator generator(options.seed);
    std::vector<GeneratedProduct> chunk(static_cast<std::size_t>(std::min(total, kProductsPerChunk)));
    for (std::int64_t first = 1; first <= total; first += kProductsPerChunk) {
      const std::int64_t last = std::min(total, first + kProductsPerChunk - 1);
      const auto count = static_cast<std::size_t>(last - first + 1);
      for (std::size_t i = 0; i < count; ++i) generator.product(first + static_cast<std::int64_t>(i), chunk[i]);

      std::size_t next = 0;
      report.products += conn.copy_in(kCopyProducts, [&](db::CopyWriter& w) {
        for (std::size_t end = std::min(count, next + 500); next < end; ++next) write_product(w, chunk[next].product);
        return next < count;
      });
      next = 0;
      report.variants += conn.copy_in(kCopyVariants, [&](db::CopyWriter& w) {
        for (std::size_t end = std::min(count, next + 200); next < end; ++next) {
          for (const auto& v : chunk[next].variants) write_variant(w, v);
        }
        return next < count;
      });
      if (progress) progress(last, total);
    }

    for (int r = 0; r < deferred.rows(); ++r) conn.exec(std::string(deferred.text(r, 2)));

    // COPY with explicit ids leaves the identity sequence at 1; new products must continue after N.
    conn.exec(
        "SELECT setval(pg_get_serial_sequence('products', 'id'), GREATEST((SELECT max(id) FROM products), 1), "
        "(SELECT max(id) IS NOT NULL FROM products))");
    conn.exec("COMMIT");
    conn.exec("ANALYZE categories, colors, products, product_variants");
  } catch (const db::Error& e) {
    return Unexpected(std::string("seeding the catalog failed: ") + e.what());
  }
  return report;
}

}  // namespace mc::catalog
