#include "core/metrics.hpp"

#include <fmt/format.h>

namespace mc::metrics {
namespace {

std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string label_text(const Labels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    out += out.empty() ? "" : ",";
    out += k + "=\"" + escape(v) + "\"";
  }
  return out;
}

std::string with(const std::string& labels, const std::string& extra) {
  if (labels.empty()) return "{" + extra + "}";
  return "{" + labels + "," + extra + "}";
}

}  // namespace

void Histogram::observe(double seconds) {
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

Counter& Registry::counter(const std::string& name, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = counters_[name][label_text(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::gauge(const std::string& name, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = gauges_[name][label_text(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Registry::histogram(const std::string& name, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = histograms_[name][label_text(labels)];
  if (!slot) slot = std::make_unique<Histogram>();
  return *slot;
}

void Registry::describe(const std::string& name, std::string help) {
  std::lock_guard lock(mutex_);
  help_[name] = std::move(help);
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  auto header = [&](const std::string& name, const char* type) {
    if (auto it = help_.find(name); it != help_.end()) out += fmt::format("# HELP {} {}\n", name, it->second);
    out += fmt::format("# TYPE {} {}\n", name, type);
  };
  for (const auto& [name, series] : counters_) {
    header(name, "counter");
    for (const auto& [labels, c] : series) {
      out += fmt::format("{}{} {}\n", name, labels.empty() ? "" : "{" + labels + "}", c->value());
    }
  }
  for (const auto& [name, series] : gauges_) {
    header(name, "gauge");
    for (const auto& [labels, g] : series) {
      out += fmt::format("{}{} {}\n", name, labels.empty() ? "" : "{" + labels + "}", g->value());
    }
  }
  for (const auto& [name, series] : histograms_) {
    header(name, "histogram");
    for (const auto& [labels, h] : series) {
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < Histogram::kBuckets.size(); ++i) {
        cumulative += h->buckets_[i].load(std::memory_order_relaxed);
        out += fmt::format("{}_bucket{} {}\n", name, with(labels, fmt::format("le=\"{}\"", Histogram::kBuckets[i])),
                           cumulative);
      }
      const auto count = h->count_.load(std::memory_order_relaxed);
      out += fmt::format("{}_bucket{} {}\n", name, with(labels, "le=\"+Inf\""), count);
      const auto braces = labels.empty() ? std::string() : "{" + labels + "}";
      out += fmt::format("{}_sum{} {}\n", name, braces, h->sum_micros_.load(std::memory_order_relaxed) / 1e6);
      out += fmt::format("{}_count{} {}\n", name, braces, count);
    }
  }
  return out;
}

Registry& registry() {
  static Registry instance;
  return instance;
}

}  // namespace mc::metrics
