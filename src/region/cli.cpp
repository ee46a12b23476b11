#include "region/cli.hpp"

#include <fmt/format.h>

#include <cstdio>

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
          "Network: " + choice_list<NetworkMode>() + " (this version runs loopback only)");
  setting(v, "--port", "region.port", "The load balancer's port (default 8080)");
  setting(v, "--host", "region.host", "Address everything listens on (default 127.0.0.1)");
  setting(v, "--pg-port", "data.pg_port",
          "PostgreSQL primary's port (default 55432); replica n listens on this port + n");
  setting(v, "--redis-port", "data.redis_port", "Redis's port (default 56379)");
  setting(v, "--replicas", "data.replicas",
          fmt::format("PostgreSQL streaming read replicas, 0 to {} (default 2): the instances read the catalog from "
                      "them; a dead one is started again after about 3 s",
                      kMaxReplicas));
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
  argument(v, control_verb(v, "fail-az", "Fail a whole zone (loopback: kill its instances)."), "AZ", "fail-az",
           "Zone, e.g. a");
  argument(v, control_verb(v, "restore-az", "Bring a failed zone back and rebalance."), "AZ", "restore-az",
           "Zone, e.g. a");
  control_verb(v, "down", "Stop the region; nothing of it is left running.");
}

int run_verb(const Verbs& v, const std::string& program) {
  if (!*v.up) return control(v.state_dir, v.command);
  RegionOptions options;
  options.state_dir = v.state_dir;
  if (auto err = load_region_options(v.file, v.flags, options)) {
    std::fprintf(stderr, "myclothes region up: %s\n", err->c_str());
    return kExitUsage;
  }
  if (options.session == SessionMode::kDynamodb) {
    std::fprintf(stderr,
                 "myclothes region up: session mode dynamodb is reserved for a later version and not built yet; "
                 "choose --session sticky, cookie or redis\n");
    return kExitUsage;
  }
  options.program = program;
  return up(options);
}

}  // namespace mc::region
