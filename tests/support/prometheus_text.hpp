#pragma once
// One series' value out of a service's /metrics text (Prometheus exposition format), e.g.
// seriesValue(text, R"(batchrun_x_total{result="ok"})"); nullopt when the series is absent.
#include <optional>
#include <string>
#include <string_view>

namespace batchrun::testing {

inline std::optional<double> seriesValue(std::string_view text, std::string_view series) {
  size_t line = 0;
  while (line < text.size()) {
    size_t end = text.find('\n', line);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(line, end - line);
    if (l.size() > series.size() && l.substr(0, series.size()) == series && l[series.size()] == ' ') {
      return std::stod(std::string(l.substr(series.size() + 1)));
    }
    line = end + 1;
  }
  return std::nullopt;
}

}  // namespace batchrun::testing
