#pragma once

// The control socket: `region up` listens on STATE/control.sock; every other verb (`myclothes region
// status`, `kill`, `scale` ...) connects, sends one line and prints the one answer (control(), region.hpp).
// State: the listening socket, and the connection of a `region down` that is answered only once
// everything has stopped.

#include <optional>
#include <string>
#include <string_view>

namespace mc::region {

std::string control_socket(const std::string& state_dir);

// What the region does for each verb (the supervisor); each returns the answer `region VERB` prints.
class ControlTarget {
 public:
  virtual ~ControlTarget() = default;
  virtual std::string status(bool json) = 0;
  virtual std::string kill(const std::string& target) = 0;  // an instance's id or a replica's name
  virtual std::string scale(const std::string& count) = 0;
  virtual std::string fail_zone(const std::string& zone) = 0;
  virtual std::string restore_zone(const std::string& zone) = 0;
  virtual std::string security_groups() = 0;  // `region sg`
  virtual std::string sg_check() = 0;  // `region sg-check`: the matrix; its last line "error: …" on a difference
  // Stop everything; the answer goes out through ControlSocket::answer_down once it is done.
  virtual void down() = 0;
};

// A command line: its first two words.
struct Command {
  std::string verb;
  std::string arg;
};
Command parse_command(const std::string& line);

// The answer to one command line other than "down".
std::string handle(const std::string& line, ControlTarget& target);

// Whether an answer reports a failure: its first or its last line starts with "error:".
bool failed(std::string_view answer);

class ControlSocket {
 public:
  ControlSocket() = default;
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;
  ~ControlSocket() { close(); }

  // Listens on STATE/control.sock; an error when another region answers there or it cannot listen.
  std::optional<std::string> claim(const std::string& state_dir);
  int fd() const { return listen_fd_; }
  // Reads the line of one waiting connection and answers it (a "down" is answered later).
  void serve(ControlTarget& target);
  // Stops listening and removes the socket.
  void close();
  // The answer to the `region down` waiting for one, if any.
  void answer_down(const std::string& answer);

 private:
  std::string path_;
  int listen_fd_ = -1;
  int down_fd_ = -1;
};

}  // namespace mc::region
