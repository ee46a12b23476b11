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

#include "account/account.hpp"
#include "cache/cache.hpp"
#include "cart/cart.hpp"
#include "catalog/repository.hpp"
#include "catalog/seed.hpp"
#include "catalog/service.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "db/database.hpp"
#include "db/migrate.hpp"
#include "http/server.hpp"
#include "order/order.hpp"
#include "redis/client.hpp"
#include "region/region.hpp"
#include "session/session.hpp"
#include "web/page_memo.hpp"
#include "web/site.hpp"
#include "web/templates.hpp"

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

Expected<Config, std::string> load(const CommonOptions& o, std::map<std::string, std::string> flags) {
  ConfigSources sources;
  if (!o.config_file.empty()) sources.file = o.config_file;
  sources.env = environment_variables();
  for (const auto& s : o.sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos) return Unexpected(fmt::format("--set {}: expected section.key=value", s));
    sources.overrides[s.substr(0, eq)] = s.substr(eq + 1);
  }
  for (auto& [k, v] : flags) sources.overrides[k] = std::move(v);
  return load_config(sources);
}

// One I/O thread's world: its io_context and every per-thread object, built in dependency order.
struct Worker {
  net::io_context io{1};
  std::unique_ptr<db::Cluster> db;
  std::shared_ptr<redis::Client> redis;
  std::unique_ptr<cache::Store> store;
  std::unique_ptr<cache::CacheAside> cache;
  std::unique_ptr<catalog::CatalogRepository> repository;
  std::unique_ptr<catalog::CatalogService> catalog;
  std::shared_ptr<session::SessionStore> sessions;  // null without Redis: no cart then
  std::unique_ptr<cart::CartService> cart;
  std::unique_ptr<account::AccountService> accounts;
  std::unique_ptr<order::OrderService> orders;
  web::Site site;
};

// In mode cookie a cart is bounded by its cookie (4096 bytes, about 150 lines), not by a line count.
constexpr std::size_t kCookieModeMaxLines = 1000;

// The session store of `mode` for one I/O thread; `shared` is the process's one store of mode sticky.
Expected<std::shared_ptr<session::SessionStore>, std::string> make_sessions(
    const Config& config, const std::shared_ptr<redis::Client>& redis,
    const std::shared_ptr<session::SessionStore>& shared) {
  const auto& mode = config.session.mode;
  if (mode == "sticky") return shared;
  if (mode == "cookie") {
    std::string joined;
    for (const auto& k : config.session.cookie_keys) joined += (joined.empty() ? "" : ",") + k;
    auto keys = session::parse_cookie_keys(joined);
    if (!keys) return Unexpected(keys.error());
    session::CookieSessionOptions options;
    options.keys = std::move(*keys);
    return std::shared_ptr<session::SessionStore>(session::make_cookie_store(std::move(options)));
  }
  if (mode == "dynamodb") {
    return Unexpected(std::string(
        "session mode dynamodb is reserved for a later version and not built yet; choose sticky, cookie or redis"));
  }
  if (!redis) return Unexpected(std::string("session mode redis needs Redis (redis.enabled = true)"));
  return std::shared_ptr<session::SessionStore>(session::make_redis_store(redis));
}

int serve(const Config& config) {
  const unsigned threads =
      config.server.threads ? config.server.threads : std::max(1u, std::thread::hardware_concurrency());
  auto lifecycle = std::make_shared<http::Lifecycle>();
  const std::string css_url = web::static_url(config.server.web_root, "app.css");

  std::shared_ptr<session::SessionStore> in_memory;
  if (config.session.mode == "sticky") {
    session::MemorySessionOptions options;
    options.max_sessions = config.session.max_sessions;
    options.max_user_carts = config.session.max_sessions;
    in_memory = session::make_memory_store(options);
  }

  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<http::Server::Worker> server_workers;
  for (unsigned i = 0; i < threads; ++i) {
    auto w = std::make_unique<Worker>();
    w->db = db::make_cluster(w->io, config.db);
    if (config.redis.enabled) {
      w->redis = redis::make_client(w->io, config.redis);
      w->redis->start();
    }
    // Catalog reads skip the cache (the null store) when it is switched off or there is no Redis; sessions
    // and carts still use Redis then.
    w->store = cache::make_catalog_store(config.cache, w->redis);
    w->cache = std::make_unique<cache::CacheAside>(*w->store, config.cache.jitter, config.cache.lock_wait);
    w->repository = catalog::make_pg_repository(*w->db);
    w->catalog = std::make_unique<catalog::CatalogService>(*w->repository, *w->cache, config.cache);
    auto templates = web::Templates::load(config.server.web_root + "/templates");
    if (!templates) {
      spdlog::error("{}", templates.error());
      return kExitFailure;
    }
    w->site = web::Site{&config,
                        css_url,
                        w->catalog.get(),
                        w->db.get(),
                        [r = w->redis.get()] { return r && r->connected(); },
                        *templates,
                        lifecycle,
                        std::make_shared<web::PageMemo>()};
    if (w->redis) {
      auto sessions = make_sessions(config, w->redis, in_memory);
      if (!sessions) {
        spdlog::error("session.mode = {}: {}", config.session.mode, sessions.error());
        return kExitUsage;
      }
      w->sessions = std::move(*sessions);
      const std::size_t max_lines = config.session.mode == "cookie" ? kCookieModeMaxLines : cart::kMaxLines;
      w->cart = std::make_unique<cart::CartService>(*w->sessions, *w->catalog, max_lines);
      w->site.sessions = w->sessions.get();
      w->site.cart = w->cart.get();
      w->accounts = std::make_unique<account::AccountService>(account::make_pg_repository(*w->db),
                                                              account::make_redis_login_limiter(w->redis));
      w->site.accounts = w->accounts.get();
      w->orders = std::make_unique<order::OrderService>(order::make_pg_repository(*w->db), *w->sessions, *w->catalog);
      w->site.orders = w->orders.get();
    }
    auto router = web::make_router(w->site);
    http::MiddlewareOptions mw{config.server.instance_id, config.server.az,
                               [site = &w->site](const http::Request& req) { return web::not_found_page(*site, req); }};
    server_workers.push_back({&w->io, http::with_middleware(router, std::move(mw))});
    workers.push_back(std::move(w));
  }

  http::Server server(config.server, lifecycle, std::move(server_workers));
  try {
    server.start();
  } catch (const std::exception& e) {
    spdlog::error("cannot listen: {}", e.what());
    return kExitFailure;
  }

  // SIGTERM / SIGINT: drain (readiness 503, in-flight requests finish), then stop by the deadline.
  net::io_context& control = workers.front()->io;
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
          if (worker->redis) worker->redis->stop();
          worker->db->close();
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
              config.session.mode.c_str(), threads);
  std::fflush(stdout);

  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  for (auto& w : workers) guards.push_back(net::make_work_guard(w->io));
  std::vector<std::thread> pool;
  for (std::size_t i = 1; i < workers.size(); ++i) pool.emplace_back([&io = workers[i]->io] { io.run(); });
  workers.front()->io.run();
  for (auto& t : pool) t.join();
  spdlog::info("stopped");
  return 0;
}

int run(int argc, char** argv) {
  CLI::App app{"MyClothes: an online clothing store whose app tier is stateless and scales out."};
  app.require_subcommand(1);

  CommonOptions serve_common;
  std::string host, instance_id, az, web_root, session_mode;
  int port = -1, threads = -1;
  auto* serve_cmd = app.add_subcommand("serve", "Run one store instance (HTTP) until SIGINT/SIGTERM.");
  add_common(*serve_cmd, serve_common);
  serve_cmd->add_option("--host", host, "Address to listen on (server.host)");
  serve_cmd->add_option("--port", port, "Port to listen on (server.port)")->check(CLI::Range(0, 65535));
  serve_cmd->add_option("--threads", threads, "I/O threads, 0 = one per core (server.threads)")
      ->check(CLI::Range(0, 256));
  serve_cmd->add_option("--instance-id", instance_id, "Name of this instance (server.instance_id)");
  serve_cmd->add_option("--az", az, "Availability zone label (server.az)");
  serve_cmd->add_option("--web-root", web_root, "Folder with templates/ and static/ (server.web_root)");
  serve_cmd->add_option("--session", session_mode, "Session mode: sticky|cookie|redis|dynamodb (session.mode)");

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
  auto* region_cmd = app.add_subcommand("region",
                                        "Run the whole architecture on this machine (HAProxy, instances "
                                        "over zones, PostgreSQL, Redis) and operate it.");
  region_cmd->require_subcommand(1);
  region::RegionOptions region_options;
  region_options.state_dir = ".state/region";
  auto state_option = [&](CLI::App* verb) {
    verb->add_option("--state", region_options.state_dir, "The region's state directory (default .state/region)");
  };
  auto* up_cmd = region_cmd->add_subcommand("up", "Start the region and show its live status until Ctrl-C.");
  state_option(up_cmd);
  up_cmd->add_option("--data", region_options.data_dir, "PostgreSQL's and Redis's files (default STATE/data)");
  std::string region_file;
  up_cmd->add_option("--config", region_file, "Region file (e.g. deploy/local/region.toml); flags win over it")
      ->check(CLI::ExistingFile);
  up_cmd->add_option("--instance-config", region_options.config_file, "TOML configuration for every instance")
      ->check(CLI::ExistingFile);
  up_cmd->add_option("--instances", region_options.instances, "Instances (default 4)")
      ->check(CLI::Range(1, region::kMaxInstances));
  up_cmd->add_option("--azs", region_options.azs, "Availability zones a, b, ... (default 2)")
      ->check(CLI::Range(1, region::kMaxZones));
  up_cmd->add_option("--session", region_options.session, "Session mode: sticky|cookie|redis|dynamodb (default redis)")
      ->check(CLI::IsMember({"sticky", "cookie", "redis", "dynamodb"}));
  up_cmd->add_flag("--sticky", region_options.sticky, "Load-balancer stickiness (an inserted cookie, like AWSALB)");
  up_cmd->add_option("--sticky-seconds", region_options.cookie_lifetime,
                     "Lifetime of the stickiness cookie (default 86400, as AWS)");
  up_cmd->add_option("--network", region_options.network, "loopback (this version); netns comes later")
      ->check(CLI::IsMember({"loopback", "netns"}));
  up_cmd->add_option("--port", region_options.lb_port, "The load balancer's port (default 8080)")
      ->check(CLI::Range(1, 65535));
  up_cmd->add_option("--host", region_options.host, "Address everything listens on (default 127.0.0.1)");
  up_cmd->add_option("--pg-port", region_options.pg_port,
                     "PostgreSQL primary's port (default 55432); replica n listens on this port + n");
  up_cmd->add_option("--redis-port", region_options.redis_port, "Redis's port (default 56379)");
  up_cmd
      ->add_option("--replicas", region_options.replicas,
                   "PostgreSQL streaming read replicas, 0 to 5 (default 2): the instances read the catalog from "
                   "them; a dead one is started again after about 3 s")
      ->check(CLI::Range(0, region::kMaxReplicas));
  up_cmd->add_flag("!--no-cache", region_options.cache,
                   "Catalog reads skip the Redis cache and go to the database (sessions still use Redis)");
  up_cmd->add_option("--threads", region_options.threads, "I/O threads per instance (default 1)")
      ->check(CLI::Range(1, 64));
  up_cmd->add_option("--products", region_options.products, "Products to seed when the catalog is empty")
      ->check(CLI::Range(1, 1'000'000));
  up_cmd->add_option("--web-root", region_options.web_root, "Folder with templates/ and static/ (default web)");
  up_cmd->add_option("--migrations", region_options.migrations, "Folder of migrations (default db/migrations)");
  up_cmd->add_option("--services", region_options.services,
                     "Script that starts/stops PostgreSQL and Redis (default deploy/local/services)");
  up_cmd->add_flag("!--no-live", region_options.live, "Print events only, no redrawn status table");
  bool status_json = false;
  auto* status_cmd = region_cmd->add_subcommand(
      "status", "Instances, zones, health and requests/s; database servers with replica lag; Redis.");
  state_option(status_cmd);
  status_cmd->add_flag("--json", status_json, "As JSON");
  std::string instance_to_kill, zone_arg;
  int scale_to = 0;
  auto* kill_cmd = region_cmd->add_subcommand(
      "kill", "SIGKILL one instance or read replica, like a crashed machine (a replica comes back by itself).");
  state_option(kill_cmd);
  kill_cmd->add_option("INSTANCE_ID", instance_to_kill, "e.g. i-a1 or replica-1 (see region status)")->required();
  auto* scale_cmd = region_cmd->add_subcommand("scale", "Set the desired number of instances (scale-in drains).");
  state_option(scale_cmd);
  scale_cmd->add_option("N", scale_to, "Instances")->required()->check(CLI::Range(1, region::kMaxInstances));
  auto* fail_cmd = region_cmd->add_subcommand("fail-az", "Fail a whole zone (loopback: kill its instances).");
  state_option(fail_cmd);
  fail_cmd->add_option("AZ", zone_arg, "Zone, e.g. a")->required();
  auto* restore_cmd = region_cmd->add_subcommand("restore-az", "Bring a failed zone back and rebalance.");
  state_option(restore_cmd);
  restore_cmd->add_option("AZ", zone_arg, "Zone, e.g. a")->required();
  auto* down_cmd = region_cmd->add_subcommand("down", "Stop the region; nothing of it is left running.");
  state_option(down_cmd);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (*region_cmd) {
    const auto& state = region_options.state_dir;
    if (*up_cmd) {
      if (!region_file.empty()) {
        // The file's values, except where a flag was given.
        region::RegionOptions from_file = region_options;
        if (auto err = region::load_region_file(region_file, from_file)) {
          std::fprintf(stderr, "myclothes region up: %s\n", err->c_str());
          return kExitUsage;
        }
        auto keep = [&](const char* flag, auto& field, const auto& file_value) {
          if (up_cmd->count(flag) == 0) field = file_value;
        };
        keep("--instances", region_options.instances, from_file.instances);
        keep("--azs", region_options.azs, from_file.azs);
        keep("--session", region_options.session, from_file.session);
        keep("--sticky", region_options.sticky, from_file.sticky);
        keep("--sticky-seconds", region_options.cookie_lifetime, from_file.cookie_lifetime);
        keep("--network", region_options.network, from_file.network);
        keep("--host", region_options.host, from_file.host);
        keep("--port", region_options.lb_port, from_file.lb_port);
        keep("--threads", region_options.threads, from_file.threads);
        keep("--products", region_options.products, from_file.products);
        keep("--pg-port", region_options.pg_port, from_file.pg_port);
        keep("--redis-port", region_options.redis_port, from_file.redis_port);
        keep("--replicas", region_options.replicas, from_file.replicas);
        keep("--no-cache", region_options.cache, from_file.cache);
        keep("--data", region_options.data_dir, from_file.data_dir);
        keep("--instance-config", region_options.config_file, from_file.config_file);
        keep("--web-root", region_options.web_root, from_file.web_root);
      }
      if (region_options.session == "dynamodb") {
        std::fprintf(stderr,
                     "myclothes region up: session mode dynamodb is reserved for a later version and not built yet; "
                     "choose --session sticky, cookie or redis\n");
        return kExitUsage;
      }
      char self[4096] = {};
      const auto n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
      region_options.program = n > 0 ? std::string(self, static_cast<std::size_t>(n)) : std::string(argv[0]);
      return region::up(region_options);
    }
    if (*status_cmd) return region::control(state, status_json ? "status --json" : "status");
    if (*kill_cmd) return region::control(state, "kill " + instance_to_kill);
    if (*scale_cmd) return region::control(state, "scale " + std::to_string(scale_to));
    if (*fail_cmd) return region::control(state, "fail-az " + zone_arg);
    if (*restore_cmd) return region::control(state, "restore-az " + zone_arg);
    if (*down_cmd) return region::control(state, "down");
  }

  if (*serve_cmd) {
    std::map<std::string, std::string> flags;
    if (!host.empty()) flags["server.host"] = host;
    if (port >= 0) flags["server.port"] = std::to_string(port);
    if (threads >= 0) flags["server.threads"] = std::to_string(threads);
    if (!instance_id.empty()) flags["server.instance_id"] = instance_id;
    if (!az.empty()) flags["server.az"] = az;
    if (!web_root.empty()) flags["server.web_root"] = web_root;
    if (!session_mode.empty()) flags["session.mode"] = session_mode;
    auto config = load(serve_common, flags);
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
