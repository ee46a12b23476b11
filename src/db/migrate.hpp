#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace mc::db {

// One file of the migrations directory: `NNNN_name.sql`, applied in the order of its number.
struct MigrationFile {
  int version = 0;
  std::string name;  // the file name, e.g. "0001_catalog.sql"
  std::string path;
};

// The migrations in `dir`, ordered by version. Files not named `<digits>_<name>.sql` are ignored; two files
// with the same number, or a missing directory, are errors.
Expected<std::vector<MigrationFile>, std::string> list_migrations(const std::string& dir);

// Applies the migrations of `dir` that the database has not seen yet, each in its own transaction, and
// records them in `schema_migrations`. Safe to run from several processes at once: a session advisory lock
// serialises the runs, so the later ones wait and then find nothing to do. Returns how many it applied;
// the error names the file and PostgreSQL's message. `log` receives one line per applied migration.
Expected<int, std::string> migrate(const std::string& conninfo, const std::string& dir,
                                   const std::function<void(std::string_view)>& log);

}  // namespace mc::db
