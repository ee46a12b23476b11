#include "db/migrate.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "db/blocking.hpp"

namespace mc::db {
namespace {

// pg_advisory_lock key for migration runs: "mcmigrat" in ASCII, so it does not collide with other locks.
constexpr std::string_view kLockKey = "7882264072303042932";

constexpr std::string_view kCreateTable = R"(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
))";

bool parse_name(const std::string& file, int& version) {
  if (file.size() < 6 || !file.ends_with(".sql")) return false;
  std::size_t digits = 0;
  while (digits < file.size() && file[digits] >= '0' && file[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9 || digits >= file.size() || file[digits] != '_') return false;
  version = std::stoi(file.substr(0, digits));
  return true;
}

Expected<std::string, std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unexpected("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Expected<std::vector<MigrationFile>, std::string> list_migrations(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Unexpected("migrations directory " + dir + " does not exist");
  std::vector<MigrationFile> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    int version = 0;
    if (!parse_name(name, version)) continue;
    files.push_back(MigrationFile{version, name, entry.path().string()});
  }
  if (ec) return Unexpected("cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < files.size(); ++i) {
    if (files[i].version == files[i - 1].version) {
      return Unexpected("two migrations have number " + std::to_string(files[i].version) + ": " + files[i - 1].name +
                        " and " + files[i].name);
    }
  }
  return files;
}

Expected<int, std::string> migrate(const std::string& conninfo, const std::string& dir,
                                   const std::function<void(std::string_view)>& log) {
  auto files = list_migrations(dir);
  if (!files) return Unexpected(files.error());
  auto opened = BlockingConnection::open(conninfo);
  if (!opened) return Unexpected(opened.error());
  auto& conn = *opened;

  std::string current = "schema_migrations";
  int applied = 0;
  try {
    // Held for the whole run and released when the connection closes, even if this process dies.
    conn.exec("SELECT pg_advisory_lock($1::bigint)", {std::string(kLockKey)});
    conn.exec(kCreateTable);
    std::set<int> done;
    const auto seen = conn.exec("SELECT version FROM schema_migrations");
    for (int r = 0; r < seen.rows(); ++r) done.insert(static_cast<int>(seen.int64(r, 0)));

    for (const auto& file : *files) {
      if (done.contains(file.version)) continue;
      current = file.name;
      auto sql = read_file(file.path);
      if (!sql) return Unexpected(sql.error());
      const auto started = std::chrono::steady_clock::now();
      conn.exec("BEGIN");
      try {
        conn.exec_script(*sql);
        conn.exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                  {std::to_string(file.version), file.name});
        conn.exec("COMMIT");
      } catch (const Error&) {
        try {
          conn.exec("ROLLBACK");
        } catch (const Error&) {
          // The connection is gone; the server rolls back on its own.
        }
        throw;
      }
      ++applied;
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
      if (log) log("applied " + file.name + " (" + std::to_string(ms) + " ms)");
    }
    conn.exec("SELECT pg_advisory_unlock($1::bigint)", {std::string(kLockKey)});
  } catch (const Error& e) {
    return Unexpected("migration " + current + " failed: " + e.what());
  }
  return applied;
}

}  // namespace mc::db
