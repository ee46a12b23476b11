#include "core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace mc {

void init_logging(const LogConfig& config, std::string_view instance_id) {
  auto logger = spdlog::stderr_color_mt("myclothes");
  if (config.format == LogFormat::kJson) {
    logger->set_pattern(
        fmt::format(R"({{"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","instance":"{}","msg":"%v"}})", instance_id));
  } else {
    logger->set_pattern(fmt::format("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [{}] %v", instance_id));
  }
  logger->set_level(spdlog::level::from_str(std::string(to_string(config.level))));
  spdlog::set_default_logger(logger);
}

}  // namespace mc
