#pragma once

// A plain blocking libpq connection for the admin verbs (migrate, seed) and for tests. Never use it on an
// I/O thread: every call waits for the server.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "db/database.hpp"

struct pg_conn;  // libpq's PGconn; only src/db sees libpq-fe.h

namespace mc::db {

// Builds the rows of a `COPY ... FROM STDIN` in PostgreSQL's text format: fields separated by tabs, rows
// ended by a newline, backslash escapes for the characters that would otherwise end a field or a row.
class CopyWriter {
 public:
  void field(std::string_view text);
  void field(std::int64_t number);
  void field(int number) { field(static_cast<std::int64_t>(number)); }
  void field(bool flag);
  void field(const char* text) { field(std::string_view(text)); }
  void null();
  void end_row();

  std::int64_t rows() const { return rows_; }
  const std::string& buffer() const { return buffer_; }
  std::string& buffer() { return buffer_; }

 private:
  void separate();

  std::string buffer_;
  bool row_open_ = false;
  std::int64_t rows_ = 0;
};

// Appends `text` to `out` escaped for a COPY text-format field.
void append_copy_escaped(std::string& out, std::string_view text);

class BlockingConnection {
 public:
  // Connects; the error says which server and why.
  static Expected<BlockingConnection, std::string> open(const std::string& conninfo);

  BlockingConnection(BlockingConnection&&) noexcept = default;
  BlockingConnection& operator=(BlockingConnection&&) noexcept = default;
  ~BlockingConnection();

  // One parameterised statement (PQexecParams, text format). Throws db::Error.
  Result exec(std::string_view sql, const Params& params = {});

  // Any number of statements separated by semicolons, no parameters (PQexec): migration files.
  // Throws db::Error; the result is that of the last statement.
  Result exec_script(std::string_view sql);

  // Runs `copy_sql` (a `COPY ... FROM STDIN`, text format) and feeds it what `producer` writes: it is called
  // until it returns false, each call appending some rows; the data goes to the server in large chunks.
  // Returns the number of rows the server copied. Throws db::Error (the COPY is then aborted) and rethrows
  // whatever `producer` throws, after aborting the COPY.
  std::int64_t copy_in(std::string_view copy_sql, const std::function<bool(CopyWriter&)>& producer);

  pg_conn* native() const { return conn_.get(); }

 private:
  struct Closer {
    void operator()(pg_conn* conn) const;
  };
  explicit BlockingConnection(pg_conn* conn) : conn_(conn) {}
  void send_copy_data(std::string& data);

  std::unique_ptr<pg_conn, Closer> conn_;
};

// `conninfo` (key=value or URI form) with its database replaced by `dbname`; every other setting kept.
// The result is in key=value form. Throws std::invalid_argument when `conninfo` does not parse.
std::string conninfo_with_database(const std::string& conninfo, const std::string& dbname);

// Quotes an identifier for SQL text (PQescapeIdentifier's rules, no connection needed).
std::string quote_identifier(std::string_view name);

}  // namespace mc::db
