#pragma once

// The `myclothes region …` verbs on the command line: `up` (the flags are settings of region_settings, so
// they go through the same checks as the region file, and win over it) and the verbs that talk to a running
// region through its control socket.

#include <CLI/CLI.hpp>
#include <map>
#include <string>

#include "region/region.hpp"

namespace mc::region {

struct Verbs {
  CLI::App* region = nullptr;
  CLI::App* up = nullptr;
  CLI::App* cleanup = nullptr;
  CLI::App* forward = nullptr;
  std::string forward_listen, forward_to, forward_netns;  // region forward (started by region up)
  bool forward_proxy = false;
  std::string state_dir = ".state/region";
  std::string file;                          // up --config
  std::map<std::string, std::string> flags;  // up's flags as settings ("region.instances" -> "6")
  std::string command;                       // what the other verbs send to the control socket
};

// Adds `region` and its verbs to `app`; `verbs` is filled when the command line is parsed.
void add_verbs(CLI::App& app, Verbs& verbs);

// Runs the verb that was given; `program` is the path of this binary (the instances run it).
int run_verb(const Verbs& verbs, const std::string& program);

}  // namespace mc::region
