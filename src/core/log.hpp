#pragma once

#include <spdlog/spdlog.h>

#include "core/config.hpp"

namespace mc {

// Structured logs on stderr: either a readable line or one JSON object per line (log.json = true).
void init_logging(const LogConfig& config, std::string_view instance_id);

}  // namespace mc
