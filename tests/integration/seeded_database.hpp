#pragma once

// A scratch database with the store's schema and a seeded catalog, for the integration tests that read
// the catalog (the catalog, web and admin tests).

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "catalog/seed.hpp"
#include "db/migrate.hpp"
#include "integration/db/scratch_database.hpp"

namespace mc::testing {

// A new scratch database named after `name`, migrated and seeded with `products` products; nullptr (after
// recording a failure) when the test services are not there or the schema or seed failed.
inline ScratchDatabase* seeded_database(std::string_view name, std::int64_t products) {
  auto admin = primary_conninfo();
  if (!admin) return nullptr;
  auto* db = new ScratchDatabase(*admin, std::string(name));
  auto applied =
      db::migrate(db->conninfo(), std::string(MYCLOTHES_SOURCE_DIR) + "/db/migrations", [](std::string_view) {});
  if (!applied) {
    ADD_FAILURE() << "migrate: " << applied.error();
    return db;
  }
  catalog::SeedOptions options;
  options.products = products;
  auto report = catalog::seed_catalog(db->conninfo(), options, false, [](std::int64_t, std::int64_t) {});
  if (!report) ADD_FAILURE() << "seed: " << report.error();
  return db;
}

}  // namespace mc::testing
