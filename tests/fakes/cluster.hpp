#pragma once

// A db::Cluster that reaches no server: what it says about the primary and the replicas is what the test set.
// Statements fail as they would with no server at all (db::Error, empty sqlstate), so code under test that
// needs data sees an outage; for code that reads data, use the repository fakes instead.

#include <chrono>
#include <cstddef>

#include "db/database.hpp"

namespace mc::fakes {

class Cluster final : public db::Cluster {
 public:
  bool primary_up = true;  // ping_primary's answer
  std::size_t replicas_in_rotation = 0;
  int pings = 0;

  Task<db::Result> query(db::Role role, const db::Statement& stmt, db::Params) override {
    throw db::Error(std::string(to_string(role)) + " unreachable (fake cluster): statement " + std::string(stmt.name),
                    "");
    co_return db::Result{};
  }
  Task<db::Result> query_after(const db::Statement& stmt, db::Params params, db::Lsn) override {
    return query(db::Role::kReplica, stmt, std::move(params));
  }
  Task<db::Lsn> primary_lsn() override {
    if (!primary_up) throw db::Error("primary unreachable (fake cluster)", "");
    co_return db::Lsn{1};
  }
  Task<bool> ping_primary(std::chrono::milliseconds) override {
    ++pings;
    co_return primary_up;
  }
  std::size_t healthy_replicas() const override { return replicas_in_rotation; }
  void close() override {}
};

}  // namespace mc::fakes
