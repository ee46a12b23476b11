#include "db/migrate.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "integration/db/scratch_database.hpp"

namespace mc::db {
namespace {

namespace fs = std::filesystem;

const std::string kProjectMigrations = std::string(MYCLOTHES_SOURCE_DIR) + "/db/migrations";

// A directory of migration files that disappears with the test.
class MigrationDir {
 public:
  MigrationDir() {
    path_ =
        fs::temp_directory_path() / ("mc_migrations_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~MigrationDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  void write(const std::string& name, const std::string& sql) const { std::ofstream(path_ / name) << sql; }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto admin = mc::testing::primary_conninfo();
    if (!admin) GTEST_FAIL();
    scratch_ = std::make_unique<mc::testing::ScratchDatabase>(*admin, "migrate");
  }

  std::int64_t scalar(const std::string& sql) { return scratch_->connect().exec(sql).int64(0, 0); }

  std::unique_ptr<mc::testing::ScratchDatabase> scratch_;
  std::vector<std::string> log_;
  std::function<void(std::string_view)> logger_ = [this](std::string_view line) { log_.emplace_back(line); };
};

TEST_F(MigrateTest, AppliesTheProjectMigrationsOnceAndThenNothing) {
  auto files = list_migrations(kProjectMigrations);
  ASSERT_TRUE(files) << files.error();
  ASSERT_FALSE(files->empty());
  EXPECT_EQ(files->front().name, "0001_catalog.sql");

  auto first = migrate(scratch_->conninfo(), kProjectMigrations, logger_);
  ASSERT_TRUE(first) << first.error();
  EXPECT_EQ(*first, static_cast<int>(files->size()));
  EXPECT_EQ(log_.size(), files->size());
  EXPECT_NE(log_.front().find("0001_catalog.sql"), std::string::npos) << log_.front();
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), static_cast<std::int64_t>(files->size()));
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations WHERE version = 1 AND name = '0001_catalog.sql' "
                   "AND applied_at <= now()"),
            1);
  EXPECT_EQ(scalar("SELECT count(*) FROM products"), 0);  // the catalog tables exist

  auto second = migrate(scratch_->conninfo(), kProjectMigrations, logger_);
  ASSERT_TRUE(second) << second.error();
  EXPECT_EQ(*second, 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), static_cast<std::int64_t>(files->size()));
}

TEST_F(MigrateTest, ConcurrentRunsApplyEachMigrationExactlyOnce) {
  MigrationDir dir;
  // Not idempotent on purpose: a second application would fail (table exists) or double the row.
  dir.write("0001_first.sql", "CREATE TABLE t_first (id int PRIMARY KEY);");
  dir.write("0002_slow.sql", "SELECT pg_sleep(0.3); CREATE TABLE t_second (id int);");
  dir.write("0003_data.sql", "INSERT INTO t_first VALUES (1); INSERT INTO t_second VALUES (2);");
  dir.write("README.md", "not a migration");

  constexpr int kRuns = 4;
  std::vector<Expected<int, std::string>> results(kRuns, Unexpected(std::string("did not run")));
  std::vector<std::thread> threads;
  for (int i = 0; i < kRuns; ++i) {
    threads.emplace_back([&, i] { results[i] = migrate(scratch_->conninfo(), dir.path(), nullptr); });
  }
  for (auto& t : threads) t.join();

  int applied = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r) << r.error();
    applied += *r;
  }
  EXPECT_EQ(applied, 3);
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), 3);
  EXPECT_EQ(scalar("SELECT count(*) FROM t_first"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM t_second"), 1);
}

TEST_F(MigrateTest, FailingMigrationNamesTheFileAndLeavesNothingBehind) {
  MigrationDir dir;
  dir.write("0001_ok.sql", "CREATE TABLE t_ok (id int);");
  dir.write("0002_broken.sql", "CREATE TABLE t_half (id int);\nSELECT * FROM no_such_table;");
  dir.write("0003_later.sql", "CREATE TABLE t_later (id int);");

  auto result = migrate(scratch_->conninfo(), dir.path(), logger_);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("0002_broken.sql"), std::string::npos) << result.error();
  EXPECT_NE(result.error().find("no_such_table"), std::string::npos) << result.error();
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_tables WHERE tablename IN ('t_half', 't_later')"), 0);

  dir.write("0002_broken.sql", "CREATE TABLE t_half (id int);");
  auto retried = migrate(scratch_->conninfo(), dir.path(), logger_);
  ASSERT_TRUE(retried) << retried.error();
  EXPECT_EQ(*retried, 2);
}

TEST_F(MigrateTest, ReportsAMissingDirectoryAndDuplicateNumbers) {
  auto missing = migrate(scratch_->conninfo(), "/nonexistent/migrations", logger_);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("/nonexistent/migrations"), std::string::npos) << missing.error();

  MigrationDir dir;
  dir.write("0001_a.sql", "SELECT 1;");
  dir.write("1_b.sql", "SELECT 1;");
  auto duplicate = migrate(scratch_->conninfo(), dir.path(), logger_);
  ASSERT_FALSE(duplicate);
  EXPECT_NE(duplicate.error().find("0001_a.sql"), std::string::npos) << duplicate.error();
  EXPECT_NE(duplicate.error().find("1_b.sql"), std::string::npos) << duplicate.error();
}

TEST_F(MigrateTest, ReportsAnUnreachableServer) {
  auto result = migrate("host=127.0.0.1 port=1 dbname=x connect_timeout=2", kProjectMigrations, logger_);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("cannot connect"), std::string::npos) << result.error();
}

TEST(BlockingConnection, CopyInLoadsEscapedRowsAndReportsErrors) {
  auto admin = mc::testing::primary_conninfo();
  if (!admin) GTEST_FAIL();
  mc::testing::ScratchDatabase scratch(*admin, "copy");
  auto conn = scratch.connect();
  conn.exec("CREATE TABLE t (id int PRIMARY KEY, body text)");

  int next = 0;
  const auto rows = conn.copy_in("COPY t (id, body) FROM STDIN", [&](CopyWriter& w) {
    for (int end = next + 1000; next < end; ++next) {
      w.field(next);
      if (next % 7 == 0) {
        w.null();
      } else {
        w.field("tab\there\nnewline \\ backslash 항공 점퍼 " + std::to_string(next));
      }
      w.end_row();
    }
    return next < 5000;
  });
  EXPECT_EQ(rows, 5000);
  EXPECT_EQ(conn.exec("SELECT count(*) FROM t WHERE body IS NULL").int64(0, 0), 715);
  EXPECT_EQ(conn.exec("SELECT body FROM t WHERE id = 1").text(0, 0), "tab\there\nnewline \\ backslash 항공 점퍼 1");

  // A row the server rejects fails the COPY and leaves the connection usable.
  EXPECT_THROW(conn.copy_in("COPY t (id, body) FROM STDIN",
                            [](CopyWriter& w) {
                              w.field(1);
                              w.field("duplicate key");
                              w.end_row();
                              return false;
                            }),
               Error);
  // So does an exception from the producer.
  EXPECT_THROW(conn.copy_in("COPY t (id, body) FROM STDIN",
                            [](CopyWriter&) -> bool { throw std::runtime_error("producer gave up"); }),
               std::runtime_error);
  EXPECT_EQ(conn.exec("SELECT count(*) FROM t").int64(0, 0), 5000);

  try {
    conn.exec("SELECT $1::int", {std::string("not a number")});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), "22P02");
    EXPECT_FALSE(e.connection_failed());
  }
  EXPECT_EQ(conn.exec("SELECT $1::text", {std::nullopt}).is_null(0, 0), true);
}

}  // namespace
}  // namespace mc::db
