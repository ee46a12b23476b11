#include "region/cli.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "region/forwarder.hpp"

namespace mc::region {
namespace {

constexpr int kExitUsage = 2;

// A flag that sets the setting `key` to its value.
void setting(Verbs& v, const std::string& flag, const std::string& key, const std::string& help) {
  v.up->add_option_function<std::string>(
      flag, [&v, key](const std::string& value) { v.flags[key] = value; }, help);
}

// A flag without a value that sets `key` to `value`.
void toggle(Verbs& v, const std::string& flag, const std::string& key, const std::string& value,
            const std::string& help) {
  v.up->add_flag_callback(
      flag, [&v, key, value] { v.flags[key] = value; }, help);
}

// A verb whose command line becomes one control command: its name and its positional argument.
CLI::App* control_verb(Verbs& v, const std::string& name, const std::string& help) {
  auto* verb = v.region->add_subcommand(name, help);
  verb->add_option("--state", v.state_dir, "The region's state directory (default .state/region)");
  verb->callback([&v, name] {
    if (v.command.empty()) v.command = name;
  });
  return verb;
}

CLI::Option* argument(Verbs& v, CLI::App* verb, const std::string& name, const std::string& verb_name,
                      const std::string& help) {
  return verb
      ->add_option_function<std::string>(
          name, [&v, verb_name](const std::string& value) { v.command = verb_name + " " + value; }, help)
      ->required();
}

}  // namespace

void add_verbs(CLI::App& app, Verbs& v) {
  v.region = app.add_subcommand("region",
                                "Run the whole architecture on this machine (HAProxy, instances over zones, "
                                "PostgreSQL, Redis) and operate it.");
  v.region->require_subcommand(1);

  v.up = v.region->add_subcommand("up", "Start the region and show its live status until Ctrl-C.");
  v.up->add_option("--state", v.state_dir, "The region's state directory (default .state/region)");
  v.up->add_option("--config", v.file, "Region file (e.g. deploy/local/region.toml); flags win over it")
      ->check(CLI::ExistingFile);
  setting(v, "--data", "data.dir", "PostgreSQL's and Redis's files (default STATE/data)");
  setting(v, "--instance-config", "instances.config", "TOML configuration for every instance");
  setting(v, "--instances", "region.instances", fmt::format("Instances, 1 to {} (default 4)", kMaxInstances));
  setting(v, "--azs", "region.azs", fmt::format("Availability zones a, b, ..., 1 to {} (default 2)", kMaxZones));
  setting(v, "--session", "region.session", "Session mode: " + choice_list<SessionMode>() + " (default redis)");
  toggle(v, "--sticky", "region.sticky", "true", "Load-balancer stickiness (an inserted cookie, like AWSALB)");
  setting(v, "--sticky-seconds", "region.sticky_seconds", "Lifetime of the stickiness cookie (default 86400, as AWS)");
  setting(v, "--network", "region.network",
          "Network: " + choice_list<NetworkMode>() +
              " (default auto: netns as root — each host a namespace, zones bridges, security groups nftables — "
              "else loopback)");
  setting(v, "--security-groups", "region.security_groups",
          "The security groups (netns mode; default deploy/local/security-groups.toml)");
  setting(v, "--port", "region.port", "The load balancer's port (default 8080)");
  setting(v, "--host", "region.host", "Address everything listens on (default 127.0.0.1)");
  setting(v, "--pg-port", "data.pg_port",
          "Loopback: PostgreSQL primary's port (default 25432); replica n listens on this port + n (netns: every "
          "database host listens on 5432)");
  setting(v, "--redis-port", "data.redis_port", "Loopback: Redis's port (default 26379; netns: 6379 on its host)");
  setting(v, "--replicas", "data.replicas",
          fmt::format("PostgreSQL streaming read replicas, 0 to {} (default 2): the instances read the catalog from "
                      "them; a dead one is started again after about 3 s",
                      kMaxReplicas));
  setting(v, "--data-tier", "data.tier",
          "Data tier: " + choice_list<DataTierMode>() +
              " (default replicated: PostgreSQL primary + synchronous standby under pg_auto_failover, Redis with a "
              "replica per zone and three Sentinels; single: one primary and one Redis, for quick runs)");
  toggle(v, "--no-cache", "region.cache", "false",
         "Catalog reads skip the Redis cache and go to the database (sessions still use Redis)");
  setting(v, "--threads", "region.threads", "I/O threads per instance (default 1)");
  setting(v, "--products", "region.products", "Products to seed when the catalog is empty");
  setting(v, "--web-root", "instances.web_root", "Folder with templates/ and static/ (default web)");
  setting(v, "--migrations", "data.migrations", "Folder of migrations (default db/migrations)");
  setting(v, "--services", "data.services",
          "Script that starts/stops PostgreSQL and Redis (default deploy/local/services)");
  toggle(v, "--no-live", "region.live", "false", "Print events only, no redrawn status table");

  auto* status =
      control_verb(v, "status", "Instances, zones, health and requests/s; database servers with replica lag; Redis.");
  status->add_flag_callback(
      "--json", [&v] { v.command = "status --json"; }, "As JSON");
  argument(
      v,
      control_verb(v, "kill",
                   "SIGKILL one instance or read replica, like a crashed machine (a replica comes back by itself)."),
      "INSTANCE_ID", "kill", "e.g. i-a1 or replica-1 (see region status)");
  argument(v, control_verb(v, "scale", "Set the desired number of instances (scale-in drains)."), "N", "scale",
           "Instances")
      ->check(CLI::Range(1, kMaxInstances));
  argument(v,
           control_verb(v, "fail-az",
                        "Fail a whole zone: netns cuts it off (its hosts keep running, nothing crosses); loopback "
                        "kills its instances."),
           "AZ", "fail-az", "Zone, e.g. a");
  argument(v, control_verb(v, "restore-az", "Bring a failed zone back and rebalance."), "AZ", "restore-az",
           "Zone, e.g. a");
  control_verb(v, "sg", "The security groups: members and rules (netns mode enforces them).");
  control_verb(v, "sg-check",
               "Probe every (source, destination, port) for real and compare with the groups; exit 1 on a "
               "difference.");
  control_verb(v, "down", "Stop the region; nothing of it is left running.");

  v.cleanup = v.region->add_subcommand(
      "cleanup", "Remove what a region that did not stop left behind: namespaces, processes, the data tier.");
  v.cleanup->add_option("--state", v.state_dir, "The region's state directory (default .state/region)");
  v.cleanup->add_option("--config", v.file, "The region file it was started with (for its ports)")
      ->check(CLI::ExistingFile);

  // Started by `region up` in netns mode; not for people (it is hidden from --help).
  v.forward = v.region->add_subcommand("forward", "");
  v.forward->group("");
  v.forward->add_option("--listen", v.forward_listen, "HOST:PORT on this machine")->required();
  v.forward->add_option("--to", v.forward_to, "HOST:PORT of the load balancer")->required();
  v.forward->add_option("--netns", v.forward_netns, "The namespace the connections come from");
  v.forward->add_flag("--proxy-protocol", v.forward_proxy, "Name each client to the load balancer (PROXY v2)");
}

namespace {

// "host:port" -> host and port; false when it is not one.
bool split_address(const std::string& text, std::string& host, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  int p = 0;
  try {
    p = std::stoi(text.substr(colon + 1));
  } catch (const std::exception&) {
    return false;
  }
  if (p < 1 || p > 65535) return false;
  host = text.substr(0, colon);
  port = static_cast<std::uint16_t>(p);
  return true;
}

}  // namespace

int run_verb(const Verbs& v, const std::string& program) {
  if (*v.forward) {
    ForwardOptions o;
    if (!split_address(v.forward_listen, o.listen_host, o.listen_port) ||
        !split_address(v.forward_to, o.to_host, o.to_port)) {
      std::fprintf(stderr, "myclothes region forward: --listen and --to take HOST:PORT\n");
      return kExitUsage;
    }
    o.netns = v.forward_netns;
    o.proxy_protocol = v.forward_proxy;
    return run_forwarder(o);
  }
  RegionOptions options;
  options.state_dir = v.state_dir;
  if (*v.cleanup) {
    if (auto err = load_region_options(v.file, {}, options)) {
      std::fprintf(stderr, "myclothes region cleanup: %s\n", err->c_str());
      return kExitUsage;
    }
    return cleanup(options);
  }
  if (!*v.up) {
    // `region sg` answers without a region too: the file's groups.
    if (v.command == "sg" && !region_answers(v.state_dir)) return print_groups(options.security_groups);
    return control(v.state_dir, v.command);
  }
  if (auto err = load_region_options(v.file, v.flags, options)) {
    std::fprintf(stderr, "myclothes region up: %s\n", err->c_str());
    return kExitUsage;
  }
  if (options.session == SessionMode::kDynamodb) {
    std::fprintf(stderr,
                 "myclothes region up: the region does not start DynamoDB Local yet, so it cannot run session mode "
                 "dynamodb; choose --session sticky, cookie or redis. One instance runs on it: "
                 "deploy/local/dynamodb/server start, then eval \"$(deploy/local/dynamodb/server env)\" and "
                 "MYCLOTHES_SESSION_MODE=dynamodb myclothes serve\n");
    return kExitUsage;
  }
  options.program = program;
  return up(options);
}

}  // namespace mc::region
