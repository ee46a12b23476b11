#include "region/control.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "region/haproxy.hpp"
#include "region/region.hpp"

namespace mc::region {
namespace {

void reply(int fd, const std::string& answer) {
  for (std::size_t sent = 0; sent < answer.size();) {
    const auto n = ::send(fd, answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

}  // namespace

std::string control_socket(const std::string& state_dir) { return state_dir + "/control.sock"; }

Command parse_command(const std::string& line) {
  std::istringstream in(line);
  Command c;
  in >> c.verb >> c.arg;
  return c;
}

std::string handle(const std::string& line, ControlTarget& target) {
  const auto [verb, arg] = parse_command(line);
  if (verb == "ping") return "pong\n";
  if (verb == "status") return target.status(arg == "--json");
  if (verb == "kill") return target.kill(arg);
  if (verb == "scale") return target.scale(arg);
  if (verb == "fail-az") return target.fail_zone(arg);
  if (verb == "restore-az") return target.restore_zone(arg);
  if (verb == "sg") return target.security_groups();
  if (verb == "sg-check") return target.sg_check();
  return fmt::format(
      "error: unknown command \"{}\"; try status, kill ID, scale N, fail-az AZ, restore-az AZ, sg, sg-check, down\n",
      verb);
}

std::optional<std::string> ControlSocket::claim(const std::string& state_dir) {
  const auto path = control_socket(state_dir);
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return fmt::format("{}: the state directory's path is too long for a Unix socket; use a shorter --state", path);
  }
  // A socket that answers belongs to a running region; one that does not is left over from a crash.
  if (RuntimeApi(path).command("ping")) {
    return fmt::format("a region is already running with state {}; stop it with `myclothes region down`", state_dir);
  }
  ::unlink(path.c_str());
  path_ = path;
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    return fmt::format("cannot listen on {}: {}", path, std::strerror(errno));
  }
  ::chmod(path.c_str(), 0600);
  return std::nullopt;
}

void ControlSocket::serve(ControlTarget& target) {
  const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  std::string line;
  char buf[512];
  while (line.find('\n') == std::string::npos && line.size() < 1024) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) != 1) break;
    const auto n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  if (auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
  if (line == "down") {
    // Answered once everything has stopped, so that `region down` returns when it happened.
    down_fd_ = fd;
    target.down();
    return;
  }
  reply(fd, handle(line, target));
}

void ControlSocket::close() {
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(path_.c_str());
    listen_fd_ = -1;
  }
}

void ControlSocket::answer_down(const std::string& answer) {
  if (down_fd_ >= 0) {
    reply(down_fd_, answer);
    down_fd_ = -1;
  }
}

int control(const std::string& state_dir, const std::string& command) {
  const auto path = control_socket(std::filesystem::absolute(state_dir).lexically_normal().string());
  // `down` answers once everything has stopped (the data tier's nodes one by one); the faults once they happened.
  const auto quiet = command == "down" ? std::chrono::milliseconds(180'000) : std::chrono::milliseconds(60'000);
  auto answer = RuntimeApi(path).command(command, quiet);
  if (!answer && answer.error().find("did not answer") != std::string::npos) {
    std::fprintf(stderr, "region: %s\n  next: look at `myclothes region status --state %s` and its log\n",
                 answer.error().c_str(), state_dir.c_str());
    return 1;
  }
  if (!answer) {
    std::fprintf(stderr,
                 "region: no region is running with state %s (nothing answers on %s)\n  next: start one with "
                 "`script/server` or `script/myclothes region up`\n",
                 state_dir.c_str(), path.c_str());
    return 1;
  }
  std::fwrite(answer->data(), 1, answer->size(), stdout);
  return failed(*answer) ? 1 : 0;
}

bool failed(std::string_view answer) {
  if (answer.starts_with("error:")) return true;
  while (answer.ends_with('\n')) answer.remove_suffix(1);
  const auto nl = answer.rfind('\n');
  return answer.substr(nl == std::string_view::npos ? 0 : nl + 1).starts_with("error:");
}

}  // namespace mc::region
