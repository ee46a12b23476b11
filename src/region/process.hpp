#pragma once

// Child processes of the region: started in their own process group (a Ctrl-C in the terminal reaches
// only the supervisor, which then stops them in order) and told to die with it.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mc::region {

// Starts `argv` with the supervisor's environment plus `env`; stdout and stderr go to `log_path`
// (appended), or stay the supervisor's when it is empty. Returns the pid, or -1 (errno set).
pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::string& log_path);

// Runs `argv` to completion (output on the supervisor's stdout/stderr); its exit status, -1 when it
// could not start or died of a signal.
int run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);

// The exit of a child if it has exited (without waiting); its status as from waitpid.
std::optional<int> reap(pid_t pid);

// SIGTERM, then SIGKILL when it is still alive after `grace`; waits for it either way.
void stop(pid_t pid, std::chrono::milliseconds grace);

// Runs `argv` to completion (stderr on the supervisor's) and returns what it wrote on stdout; nullopt when
// it could not start or did not exit with 0.
std::optional<std::string> output_of(const std::vector<std::string>& argv);

// The status code of GET `path` on host:port (0 when nothing answers within `timeout`).
int http_status(const std::string& host, std::uint16_t port, const std::string& path,
                std::chrono::milliseconds timeout);

// A TCP port on `host` that nothing listens on at this moment.
std::uint16_t free_port(const std::string& host);

// Whether something accepts a TCP connection on 127.0.0.1:port.
bool port_open(std::uint16_t port);

}  // namespace mc::region
