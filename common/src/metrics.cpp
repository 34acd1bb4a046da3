#include "batchrun/common/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace batchrun {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i] = 0;
}

void Histogram::observe(double v) {
  size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<double> latencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

namespace {

std::string escapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string renderLabels(const Labels& labels, const std::string& extra = {}) {
  if (labels.empty() && extra.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + escapeLabel(v) + "\"";
  }
  if (!extra.empty()) {
    if (!first) out += ",";
    out += extra;
  }
  return out + "}";
}

std::string num(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that round-trips
  return std::string(buf, res.ptr);
}

}  // namespace

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, const std::string& help, Kind kind) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.kind = kind;
    it->second.help = help;
  } else if (it->second.kind != kind) {
    throw std::logic_error("metric " + name + " registered with two kinds");
  }
  return it->second;
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& s = family(name, help, Kind::kCounter).series[renderLabels(labels)];
  if (!s.counter) s.counter = std::make_unique<Counter>();
  s.labels = renderLabels(labels);
  return *s.counter;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& s = family(name, help, Kind::kGauge).series[renderLabels(labels)];
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  s.labels = renderLabels(labels);
  return *s.gauge;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help, const Labels& labels,
                                      std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  auto key = renderLabels(labels);
  auto& s = family(name, help, Kind::kHistogram).series[key];
  if (!s.histogram) s.histogram = std::make_unique<Histogram>(std::move(bounds));
  s.labels = key;
  return *s.histogram;
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, fam] : families_) {
    const char* type = fam.kind == Kind::kCounter ? "counter" : fam.kind == Kind::kGauge ? "gauge" : "histogram";
    out += "# HELP " + name + " " + fam.help + "\n# TYPE " + name + " " + type + "\n";
    for (const auto& [key, s] : fam.series) {
      if (s.counter) out += name + key + " " + num(s.counter->value()) + "\n";
      if (s.gauge) out += name + key + " " + num(s.gauge->value()) + "\n";
      if (s.histogram) {
        const auto& h = *s.histogram;
        // Rebuild the label set with le= added; key is "{...}" or empty.
        std::string inner = key.empty() ? "" : key.substr(1, key.size() - 2);
        auto withLe = [&](const std::string& le) {
          return "{" + inner + (inner.empty() ? "" : ",") + "le=\"" + le + "\"}";
        };
        uint64_t cumulative = 0;
        for (size_t i = 0; i < h.bounds().size(); ++i) {
          cumulative += h.bucketCount(i);
          out += name + "_bucket" + withLe(num(h.bounds()[i])) + " " + std::to_string(cumulative) + "\n";
        }
        cumulative += h.bucketCount(h.bounds().size());
        out += name + "_bucket" + withLe("+Inf") + " " + std::to_string(cumulative) + "\n";
        out += name + "_sum" + key + " " + num(h.sum()) + "\n";
        out += name + "_count" + key + " " + std::to_string(h.count()) + "\n";
      }
    }
  }
  return out;
}

}  // namespace batchrun
