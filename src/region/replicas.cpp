#include "region/replicas.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace mc::region {
namespace {

namespace fs = std::filesystem;

// A look must not hold the supervisor's loop up: libpq waits at most connect_timeout for a connection
// (it treats 1 as 2 s, its minimum) and the server cancels a statement after statement_timeout.
// tcp_user_timeout and keepalives: a server cut off (a zone partition: no RST ever comes) breaks the open
// connection within a second or two instead of holding the supervisor's loop until TCP gives up.
constexpr std::string_view kMonitorSettings =
    " connect_timeout=1 application_name=myclothes-region options='-c statement_timeout=1000' tcp_user_timeout=1000 "
    "keepalives=1 keepalives_idle=1 keepalives_interval=1 keepalives_count=1";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// /proc/PID/stat: "pid (comm) S ppid ..."; comm may hold spaces and parentheses, so fields are counted
// from the last ')'.
struct ProcStat {
  char state = '?';
  pid_t ppid = -1;
};

std::optional<ProcStat> proc_stat(pid_t pid) {
  const auto text = read_file(fmt::format("/proc/{}/stat", pid));
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 1));
  ProcStat s;
  if (!(rest >> s.state >> s.ppid)) return std::nullopt;
  return s;
}

bool better(const ReplicationRow& a, const ReplicationRow& b) {
  const bool a_streaming = a.state == "streaming";
  const bool b_streaming = b.state == "streaming";
  if (a_streaming != b_streaming) return a_streaming;
  if (a.lag_bytes.has_value() != b.lag_bytes.has_value()) return a.lag_bytes.has_value();
  return a.lag_bytes.value_or(0) < b.lag_bytes.value_or(0);
}

}  // namespace

std::vector<DbServer> db_servers(const DataLayout& layout, const std::optional<std::vector<ReplicationRow>>& rows,
                                 const std::vector<pid_t>& postmasters) {
  std::vector<DbServer> out;
  DbServer primary;
  primary.name = "primary";
  primary.role = "primary";
  primary.host = layout.primary.host;
  primary.port = static_cast<std::uint16_t>(layout.primary.port);
  primary.up = rows.has_value();
  primary.state = rows ? "serving" : "unreachable";
  primary.lag_bytes = 0;
  out.push_back(std::move(primary));
  for (std::size_t i = 0; i < layout.replicas.size(); ++i) {
    DbServer r;
    r.name = layout.replicas[i].name;
    r.role = "replica";
    r.host = layout.replicas[i].host;
    r.port = static_cast<std::uint16_t>(layout.replicas[i].port);
    r.pid = i < postmasters.size() ? postmasters[i] : -1;
    const ReplicationRow* best = nullptr;
    if (rows) {
      for (const auto& row : *rows) {
        if (row.name == r.name && (best == nullptr || better(row, *best))) best = &row;
      }
    }
    if (r.pid < 0) {
      r.state = "down";
    } else if (!rows) {
      r.state = "unknown";
    } else if (best == nullptr) {
      r.state = "not streaming";
    } else {
      r.up = true;
      r.state = best->state;
      r.lag_bytes = best->lag_bytes;
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string format_bytes(std::int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  constexpr const char* kUnits[] = {"kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  value /= 1024;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::optional<pid_t> parse_postmaster_pid(std::string_view file_text) {
  const auto line = file_text.substr(0, file_text.find('\n'));
  pid_t pid = 0;
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), pid);
  if (ec != std::errc() || pid <= 0) return std::nullopt;
  return pid;
}

bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  const auto s = proc_stat(pid);
  return s && s->state != 'Z' && s->state != 'X';
}

std::optional<pid_t> running_postmaster(const std::string& data_dir) {
  const auto pid = parse_postmaster_pid(read_file(data_dir + "/postmaster.pid"));
  if (!pid || !process_alive(*pid)) return std::nullopt;
  // A stale pid file (a crashed server) may name a pid that another program has been given since.
  if (read_file(fmt::format("/proc/{}/cmdline", *pid)).find("postgres") == std::string::npos) return std::nullopt;
  return pid;
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const auto name = entry.path().filename().string();
    pid_t child = 0;
    const auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), child);
    if (err != std::errc() || end != name.data() + name.size()) continue;
    const auto s = proc_stat(child);
    if (s && s->ppid == pid && s->state != 'Z' && s->state != 'X') out.push_back(child);
  }
  return out;
}

ReplicationMonitor::ReplicationMonitor(const std::string& primary)
    : conninfo_(primary + std::string(kMonitorSettings)) {}

std::optional<std::vector<ReplicationRow>> ReplicationMonitor::look() {
  if (!conn_) {
    auto opened = db::BlockingConnection::open(conninfo_);
    if (!opened) {
      last_error_ = opened.error();
      return std::nullopt;
    }
    conn_.emplace(std::move(*opened));
  }
  try {
    const auto result = conn_->exec(kSelectReplication);
    std::vector<ReplicationRow> rows;
    for (int i = 0; i < result.rows(); ++i) {
      ReplicationRow row;
      row.name = std::string(result.text(i, 0));
      row.state = std::string(result.text(i, 1));
      if (!result.is_null(i, 2)) row.lag_bytes = result.int64(i, 2);
      rows.push_back(std::move(row));
    }
    last_error_.clear();
    return rows;
  } catch (const db::Error& e) {
    // Whatever went wrong (a restarted primary, a timeout), the next look starts on a new connection.
    last_error_ = e.what();
    conn_.reset();
    return std::nullopt;
  }
}

}  // namespace mc::region
