// The only place that builds concrete objects and wires them together (STYLE.md, "Wire once").
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "app/worker.hpp"
#include "catalog/seed.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "db/migrate.hpp"
#include "http/server.hpp"
#include "region/cli.hpp"

namespace net = boost::asio;

namespace mc::app {
namespace {

constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;

// What every verb accepts: a config file and `--set section.key=value` overrides.
struct CommonOptions {
  std::string config_file;
  std::vector<std::string> sets;
};

void add_common(CLI::App& verb, CommonOptions& o) {
  verb.add_option("--config", o.config_file, "TOML configuration file")->check(CLI::ExistingFile);
  verb.add_option("--set", o.sets, "Override a setting: section.key=value (repeatable)");
}

Expected<Config, std::string> load(const CommonOptions& o, const std::map<std::string, std::string>& flags) {
  ConfigSources sources;
  if (!o.config_file.empty()) sources.file = o.config_file;
  sources.env = environment_variables();
  for (const auto& s : o.sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos) return Unexpected(fmt::format("--set {}: expected section.key=value", s));
    sources.overrides[s.substr(0, eq)] = s.substr(eq + 1);
  }
  for (const auto& [k, v] : flags) sources.overrides[k] = v;
  return load_config(sources);
}

int serve(const Config& config) {
  const unsigned threads =
      config.server.threads ? config.server.threads : std::max(1u, std::thread::hardware_concurrency());
  auto shared = make_shared_parts(config);
  if (!shared) {
    spdlog::error("{}", shared.error());
    return kExitFailure;
  }
  const auto lifecycle = shared->lifecycle;

  // One io_context per I/O thread, and its worker (app/worker.hpp).
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<http::Server::Worker> server_workers;
  for (unsigned i = 0; i < threads; ++i) {
    contexts.push_back(std::make_unique<net::io_context>(1));
    auto w = make_worker(*shared, *contexts.back());
    if (!w) {
      spdlog::error("{}", w.error());
      return kExitUsage;
    }
    server_workers.push_back({contexts.back().get(), (*w)->handler});
    workers.push_back(std::move(*w));
  }

  http::Server server(config.server, lifecycle, std::move(server_workers));
  try {
    server.start();
  } catch (const std::exception& e) {
    spdlog::error("cannot listen: {}", e.what());
    return kExitFailure;
  }

  // SIGTERM / SIGINT: drain (readiness 503, in-flight requests finish), then stop by the deadline.
  net::io_context& control = *contexts.front();
  net::signal_set signals(control, SIGINT, SIGTERM);
  net::steady_timer drain_timer(control);
  std::function<void()> wait_drained;
  std::chrono::steady_clock::time_point stop_at;
  wait_drained = [&] {
    if (lifecycle->in_flight.load() == 0 || std::chrono::steady_clock::now() >= stop_at) {
      spdlog::info("drained ({} requests still in flight); stopping", lifecycle->in_flight.load());
      server.stop();
      // Each worker's objects belong to its own thread: they are closed there.
      for (auto& w : workers) {
        net::post(w->io, [worker = w.get()] {
          worker->close();
          worker->io.stop();
        });
      }
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(20));
    drain_timer.async_wait([&](const boost::system::error_code&) { wait_drained(); });
  };
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {}: draining (deadline {} s)", signo, config.server.drain_deadline.count());
    server.drain();
    stop_at = std::chrono::steady_clock::now() + config.server.drain_deadline;
    wait_drained();
  });

  std::printf("myclothes: serving on http://%s:%u/ (instance %s, zone %s, sessions %s, %u threads)\n",
              config.server.host.c_str(), server.port(), config.server.instance_id.c_str(), config.server.az.c_str(),
              std::string(to_string(config.session.mode)).c_str(), threads);
  std::fflush(stdout);

  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  guards.reserve(contexts.size());
  for (auto& io : contexts) guards.push_back(net::make_work_guard(*io));
  std::vector<std::thread> pool;
  for (std::size_t i = 1; i < contexts.size(); ++i) pool.emplace_back([&io = *contexts[i]] { io.run(); });
  contexts.front()->run();
  for (auto& t : pool) t.join();
  spdlog::info("stopped");
  return 0;
}

int run(int argc, char** argv) {
  CLI::App app{"MyClothes: an online clothing store whose app tier is stateless and scales out."};
  app.require_subcommand(1);

  CommonOptions serve_common;
  std::map<std::string, std::string> serve_flags;
  auto* serve_cmd = app.add_subcommand("serve", "Run one store instance (HTTP) until SIGINT/SIGTERM.");
  add_common(*serve_cmd, serve_common);
  auto setting = [&](const std::string& flag, const std::string& key, const std::string& help) {
    serve_cmd->add_option_function<std::string>(
        flag, [&serve_flags, key](const std::string& v) { serve_flags[key] = v; }, help + " (" + key + ")");
  };
  setting("--host", "server.host", "Address to listen on");
  setting("--port", "server.port", "Port to listen on");
  setting("--threads", "server.threads", "I/O threads, 0 = one per core");
  setting("--instance-id", "server.instance_id", "Name of this instance");
  setting("--az", "server.az", "Availability zone label");
  setting("--web-root", "server.web_root", "Folder with templates/ and static/");
  setting("--session", "session.mode", "Session mode: " + choice_list<SessionMode>());

  CommonOptions migrate_common;
  std::string migrations_dir = "db/migrations";
  auto* migrate_cmd = app.add_subcommand("migrate", "Apply the database migrations that have not run yet.");
  add_common(*migrate_cmd, migrate_common);
  migrate_cmd->add_option("--dir", migrations_dir, "Folder of NNNN_name.sql files");

  CommonOptions seed_common;
  catalog::SeedOptions seed_options;
  bool if_empty = false;
  auto* seed_cmd = app.add_subcommand("seed", "Load the deterministic bilingual demo catalog.");
  add_common(*seed_cmd, seed_common);
  seed_cmd->add_option("--products", seed_options.products, "How many products (default 10000)")
      ->check(CLI::Range(1, 1'000'000));
  seed_cmd->add_option("--seed", seed_options.seed, "Random seed; the same seed gives the same catalog");
  seed_cmd->add_flag("--if-empty", if_empty, "Do nothing when the catalog already has products");

  // The local region: `region up` in the foreground, the other verbs talk to it.
  region::Verbs region_verbs;
  region::add_verbs(app, region_verbs);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (*region_verbs.region) {
    char self[4096] = {};
    const auto n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
    return region::run_verb(region_verbs,
                            n > 0 ? std::string(self, static_cast<std::size_t>(n)) : std::string(argv[0]));
  }

  if (*serve_cmd) {
    auto config = load(serve_common, serve_flags);
    if (!config) {
      std::fprintf(stderr, "myclothes serve: %s\n", config.error().c_str());
      return kExitUsage;
    }
    if (config->server.instance_id.empty()) {
      char name[256] = {};
      gethostname(name, sizeof(name) - 1);
      config->server.instance_id = fmt::format("{}-{}", name, config->server.port);
    }
    init_logging(config->log, config->server.instance_id);
    return serve(*config);
  }

  if (*migrate_cmd) {
    auto config = load(migrate_common, {});
    if (!config) {
      std::fprintf(stderr, "myclothes migrate: %s\n", config.error().c_str());
      return kExitUsage;
    }
    auto applied = db::migrate(config->db.primary, migrations_dir, [](std::string_view line) {
      std::printf("migrate: %.*s\n", static_cast<int>(line.size()), line.data());
    });
    if (!applied) {
      std::fprintf(stderr, "myclothes migrate: %s\n", applied.error().c_str());
      return kExitFailure;
    }
    std::printf("migrate: %d migration(s) applied; the schema is up to date\n", *applied);
    return 0;
  }

  if (*seed_cmd) {
    auto config = load(seed_common, {});
    if (!config) {
      std::fprintf(stderr, "myclothes seed: %s\n", config.error().c_str());
      return kExitUsage;
    }
    const bool tty = isatty(STDOUT_FILENO) != 0;
    const auto started = std::chrono::steady_clock::now();
    std::int64_t last_percent = -1;
    auto report =
        catalog::seed_catalog(config->db.primary, seed_options, if_empty, [&](std::int64_t done, std::int64_t total) {
          const std::int64_t percent = total ? done * 100 / total : 100;
          if (percent == last_percent) return;
          last_percent = percent;
          if (tty) {
            const int width = 40;
            const int filled = static_cast<int>(percent * width / 100);
            std::printf("\rseed: [%s%s] %3lld%% %lld/%lld products", std::string(filled, '#').c_str(),
                        std::string(width - filled, '.').c_str(), static_cast<long long>(percent),
                        static_cast<long long>(done), static_cast<long long>(total));
          } else if (percent % 10 == 0) {
            std::printf("seed: %lld%% (%lld/%lld products)\n", static_cast<long long>(percent),
                        static_cast<long long>(done), static_cast<long long>(total));
          }
          std::fflush(stdout);
        });
    if (tty) std::printf("\n");
    if (!report) {
      std::fprintf(stderr, "myclothes seed: %s\n", report.error().c_str());
      return kExitFailure;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (report->skipped) {
      std::printf("seed: the catalog already has products; nothing to do\n");
    } else {
      std::printf("seed: %lld products, %lld variants in %.1f s\n", static_cast<long long>(report->products),
                  static_cast<long long>(report->variants), seconds);
    }
    return 0;
  }
  return kExitUsage;
}

}  // namespace
}  // namespace mc::app

int main(int argc, char** argv) {
  try {
    return mc::app::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "myclothes: %s\n", e.what());
    return 1;
  }
}
