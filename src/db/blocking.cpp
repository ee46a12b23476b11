#include "db/blocking.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <optional>
#include <stdexcept>
#include <vector>

namespace mc::db {
namespace {

// Large enough that a million-product seed is a few thousand round trips, small enough to stay in cache.
constexpr std::size_t kCopyChunkBytes = 1 << 20;

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  return std::string(s);
}

std::shared_ptr<pg_result> own(PGresult* res) {
  return {res, [](PGresult* r) { PQclear(r); }};
}

// Turns a failed result into db::Error; a null result means the connection itself failed.
[[noreturn]] void throw_result_error(PGconn* conn, const PGresult* res) {
  if (res == nullptr) throw Error(trimmed(PQerrorMessage(conn)), "");
  const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  std::string message = trimmed(PQresultErrorMessage(res));
  if (message.empty()) message = trimmed(PQerrorMessage(conn));
  throw Error(message, state ? state : "");
}

Result checked(PGconn* conn, PGresult* raw) {
  auto res = own(raw);
  const auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    throw_result_error(conn, raw);
  }
  return Result(std::move(res), Role::kPrimary);
}

void ignore_notice(void*, const char*) {}

}  // namespace

void append_copy_escaped(std::string& out, std::string_view text) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char* escape = nullptr;
    switch (c) {
      case '\\':
        escape = "\\\\";
        break;
      case '\t':
        escape = "\\t";
        break;
      case '\n':
        escape = "\\n";
        break;
      case '\r':
        escape = "\\r";
        break;
      default:
        continue;
    }
    out.append(text.substr(start, i - start));
    out.append(escape);
    start = i + 1;
  }
  out.append(text.substr(start));
}

void CopyWriter::separate() {
  if (row_open_) buffer_.push_back('\t');
  row_open_ = true;
}

void CopyWriter::field(std::string_view text) {
  separate();
  append_copy_escaped(buffer_, text);
}

void CopyWriter::field(std::int64_t number) {
  separate();
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, number);
  buffer_.append(digits, end);
}

void CopyWriter::field(bool flag) {
  separate();
  buffer_.push_back(flag ? 't' : 'f');
}

void CopyWriter::null() {
  separate();
  buffer_.append("\\N");
}

void CopyWriter::end_row() {
  buffer_.push_back('\n');
  row_open_ = false;
  ++rows_;
}

void BlockingConnection::Closer::operator()(pg_conn* conn) const { PQfinish(conn); }

BlockingConnection::~BlockingConnection() = default;

Expected<BlockingConnection, std::string> BlockingConnection::open(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return Unexpected(std::string("cannot allocate a PostgreSQL connection"));
  BlockingConnection result(conn);
  if (PQstatus(conn) != CONNECTION_OK) {
    return Unexpected("cannot connect to PostgreSQL: " + trimmed(PQerrorMessage(conn)));
  }
  // Notices ("extension already exists, skipping") are chatter for an admin verb, not errors.
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  return result;
}

Result BlockingConnection::exec(std::string_view sql, const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  const std::string text(sql);
  return checked(conn_.get(), PQexecParams(conn_.get(), text.c_str(), static_cast<int>(values.size()), nullptr,
                                           values.data(), nullptr, nullptr, 0));
}

Result BlockingConnection::exec_script(std::string_view sql) {
  const std::string text(sql);
  return checked(conn_.get(), PQexec(conn_.get(), text.c_str()));
}

void BlockingConnection::send_copy_data(std::string& data) {
  if (data.empty()) return;
  if (PQputCopyData(conn_.get(), data.data(), static_cast<int>(data.size())) != 1) {
    throw Error("COPY failed while sending data: " + trimmed(PQerrorMessage(conn_.get())), "");
  }
  data.clear();
}

std::int64_t BlockingConnection::copy_in(std::string_view copy_sql, const std::function<bool(CopyWriter&)>& producer) {
  PGconn* conn = conn_.get();
  const std::string text(copy_sql);
  {
    auto start = own(PQexec(conn, text.c_str()));
    if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) throw_result_error(conn, start.get());
  }

  // Ends the COPY and collects every result it leaves, so the connection is usable afterwards.
  auto finish = [conn](const char* abort_reason) -> Result {
    if (PQputCopyEnd(conn, abort_reason) != 1) throw Error("COPY failed: " + trimmed(PQerrorMessage(conn)), "");
    Result last;
    std::optional<Error> failure;
    while (PGresult* raw = PQgetResult(conn)) {
      try {
        last = checked(conn, raw);
      } catch (const Error& e) {
        if (!failure) failure = e;
      }
    }
    if (failure) throw *failure;
    return last;
  };

  CopyWriter writer;
  writer.buffer().reserve(kCopyChunkBytes + kCopyChunkBytes / 4);
  try {
    bool more = true;
    while (more) {
      more = producer(writer);
      if (writer.buffer().size() >= kCopyChunkBytes || !more) send_copy_data(writer.buffer());
    }
  } catch (...) {
    try {
      finish("aborted by the client");
    } catch (const Error&) {
      // The abort itself reports an error; the original failure is the one worth telling.
    }
    throw;
  }
  return finish(nullptr).affected_rows();
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string conninfo_with_database(const std::string& conninfo, const std::string& dbname) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    std::string message = error ? trimmed(error) : "out of memory";
    PQfreemem(error);
    throw std::invalid_argument("bad PostgreSQL connection string: " + message);
  }
  auto quote = [](std::string_view v) {
    std::string out = "'";
    for (char c : v) {
      if (c == '\'' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('\'');
    return out;
  };
  std::string out;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    const std::string_view keyword = o->keyword;
    if (keyword == "dbname" || o->val == nullptr) continue;
    out += std::string(keyword) + "=" + quote(o->val) + " ";
  }
  PQconninfoFree(options);
  out += "dbname=" + quote(dbname);
  return out;
}

}  // namespace mc::db
