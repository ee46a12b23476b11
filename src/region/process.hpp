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

#include "core/expected.hpp"

namespace mc::region {

// Starts `argv` with the supervisor's environment plus `env`; stdout and stderr go to `log_path`
// (appended), or stay the supervisor's when it is empty. `netns`, when set, is the path of the network
// namespace the child enters before it runs (/run/netns/NAME): the host it runs on. Returns the pid, or -1
// (errno set).
pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::string& log_path, const std::string& netns = {});

// Runs `argv` to completion (output on the supervisor's stdout/stderr); its exit status, -1 when it
// could not start or died of a signal.
int run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);

// Runs `argv` (in the network namespace `netns` when set) to completion with stdout and stderr captured:
// the output when it exits with 0, else an error "CMD: OUTPUT" (or why it could not run).
Expected<std::string, std::string> capture(const std::vector<std::string>& argv, const std::string& netns = {});

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

// Whether something accepts a TCP connection on host:port (127.0.0.1 by default) within about a second.
bool port_open(std::uint16_t port, const std::string& host = "127.0.0.1");

}  // namespace mc::region
