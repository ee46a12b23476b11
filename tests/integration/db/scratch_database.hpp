#pragma once

// A throw-away PostgreSQL database for integration tests that create tables: made on the server named by
// MYCLOTHES_DB_PRIMARY, dropped (with its connections) when the object goes away.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>

#include "db/blocking.hpp"

namespace mc::testing {

// The admin connection string, or nullopt after recording a test failure that says how to run the test.
inline std::optional<std::string> primary_conninfo() {
  const char* env = std::getenv("MYCLOTHES_DB_PRIMARY");
  if (env == nullptr || *env == '\0') {
    ADD_FAILURE() << "MYCLOTHES_DB_PRIMARY is not set: run the integration tests through script/test, which "
                     "starts PostgreSQL and sets it";
    return std::nullopt;
  }
  return std::string(env);
}

inline db::BlockingConnection connect_or_throw(const std::string& conninfo) {
  auto conn = db::BlockingConnection::open(conninfo);
  if (!conn) throw std::runtime_error(conn.error());
  return std::move(*conn);
}

class ScratchDatabase {
 public:
  ScratchDatabase(const std::string& admin_conninfo, std::string_view prefix) : admin_(admin_conninfo) {
    static std::atomic<int> counter{0};
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    name_ = "test_" + std::string(prefix) + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
            std::to_string(now % 1'000'000);
    connect_or_throw(admin_).exec("CREATE DATABASE " + db::quote_identifier(name_) + " ENCODING 'UTF8'");
    conninfo_ = db::conninfo_with_database(admin_, name_);
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;
  ~ScratchDatabase() {
    try {
      connect_or_throw(admin_).exec("DROP DATABASE IF EXISTS " + db::quote_identifier(name_) + " WITH (FORCE)");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "could not drop scratch database " << name_ << ": " << e.what();
    }
  }

  const std::string& name() const { return name_; }
  const std::string& conninfo() const { return conninfo_; }
  db::BlockingConnection connect() const { return connect_or_throw(conninfo_); }

 private:
  std::string admin_;
  std::string name_;
  std::string conninfo_;
};

}  // namespace mc::testing
