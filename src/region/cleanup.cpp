// `region cleanup` and `region sg` without a region: what runs without a supervisor. A region that did not
// stop (its supervisor killed with SIGKILL, the machine's power) leaves its data tier running — PostgreSQL and
// Redis are daemons — and, in netns mode, its namespaces with whatever runs in them; the instances, HAProxy
// and the forwarder die with the supervisor (they are told to, process.hpp).

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "region/control.hpp"
#include "region/haproxy.hpp"
#include "region/network.hpp"
#include "region/process.hpp"
#include "region/region.hpp"
#include "region/security_groups.hpp"

namespace mc::region {

namespace fs = std::filesystem;

bool region_answers(const std::string& state_dir) {
  const auto path = control_socket(fs::absolute(state_dir).lexically_normal().string());
  return RuntimeApi(path).command("ping").has_value();
}

int cleanup(const RegionOptions& given) {
  RegionOptions o = given;
  o.state_dir = fs::absolute(o.state_dir).lexically_normal().string();
  if (region_answers(o.state_dir)) {
    std::fprintf(stderr,
                 "region cleanup: a region is running with state %s; stop it with `myclothes region down --state "
                 "%s`\n",
                 o.state_dir.c_str(), o.state_dir.c_str());
    return 1;
  }
  const auto data = o.data_dir.empty() ? o.state_dir + "/data" : fs::absolute(o.data_dir).lexically_normal().string();
  int status = 0;
  if (fs::exists(data)) {
    // The data tier first, cleanly (PostgreSQL checkpoints); in netns mode its servers are on their hosts.
    std::vector<std::string> stop{o.services,     "stop",
                                  "--state",      data,
                                  "--pg-port",    std::to_string(o.pg_port),
                                  "--redis-port", std::to_string(o.redis_port)};
    const auto hosts = o.state_dir + "/data-hosts";
    if (fs::exists(hosts) && !leftover_namespaces(network_id(o.state_dir)).empty()) {
      stop = {o.services,     "stop",
              "--state",      data,
              "--pg-port",    std::to_string(kPgPort),
              "--redis-port", std::to_string(kRedisPort),
              "--hosts",      hosts};
    }
    std::printf("region cleanup: stopping the data tier in %s\n", data.c_str());
    std::fflush(stdout);
    if (run(stop, {}) != 0) {
      std::fprintf(stderr, "region cleanup: %s stop did not finish (above)\n", o.services.c_str());
      status = 1;
    }
  }
  const auto id = network_id(o.state_dir);
  if (leftover_namespaces(id).empty() && !fs::exists("/sys/class/net/mc" + id)) {
    std::printf("region cleanup: no network of this state (mc-%s-*) is left\n", id.c_str());
  } else {
    auto removed = remove_network(id);
    if (!removed) {
      std::fprintf(stderr, "region cleanup: %s\n  next: look with `ip netns list` and `ip link`, then run it again\n",
                   removed.error().c_str());
      return 1;
    }
    std::printf("region cleanup: %s\n", removed->c_str());
  }
  for (const char* f : {"/control.sock", "/haproxy.sock"}) fs::remove(o.state_dir + f);
  if (status == 0) std::printf("region cleanup: nothing of the region of %s is left running\n", o.state_dir.c_str());
  return status;
}

int print_groups(const std::string& file) {
  auto groups = sg::load(file);
  if (!groups) {
    std::fprintf(stderr, "region sg: %s\n", groups.error().c_str());
    return 1;
  }
  std::printf("%s(no region is running: the groups of %s, without members)\n", sg::render_text(*groups, {}).c_str(),
              file.c_str());
  return 0;
}

}  // namespace mc::region
