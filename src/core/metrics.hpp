#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace mc::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Latency histogram with fixed buckets (seconds), lock-free to observe.
class Histogram {
 public:
  static constexpr std::array<double, 12> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  void observe(double seconds);
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  friend class Registry;
  std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};
};

// Process-wide registry. Look a series up once (the returned reference is stable for the process's
// lifetime) and keep it; lookups take a lock, updates do not.
class Registry {
 public:
  Counter& counter(const std::string& name, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const Labels& labels = {});
  void describe(const std::string& name, std::string help);

  // Prometheus text exposition format 0.0.4.
  std::string render() const;

 private:
  template <class T>
  using Series = std::map<std::string, std::map<std::string, std::unique_ptr<T>>>;  // name -> labels -> value

  mutable std::mutex mutex_;
  Series<Counter> counters_;
  Series<Gauge> gauges_;
  Series<Histogram> histograms_;
  std::map<std::string, std::string> help_;
};

Registry& registry();

}  // namespace mc::metrics
