#include <gtest/gtest.h>

#include "batchrun/common/metrics.hpp"

using namespace batchrun;

TEST(Metrics, RendersPrometheusText) {
  MetricsRegistry r;
  r.counter("batchrun_runs_accepted_total", "Runs accepted", {{"lane", "bulk"}}).inc(3);
  r.gauge("batchrun_inflight", "In flight").set(7);
  auto& h = r.histogram("batchrun_request_seconds", "Latency", {{"route", "batches"}}, {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  auto text = r.render();
  EXPECT_NE(text.find("# TYPE batchrun_runs_accepted_total counter\nbatchrun_runs_accepted_total{lane=\"bulk\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("batchrun_inflight 7\n"), std::string::npos);
  EXPECT_NE(text.find("batchrun_request_seconds_bucket{route=\"batches\",le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("batchrun_request_seconds_bucket{route=\"batches\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("batchrun_request_seconds_bucket{route=\"batches\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("batchrun_request_seconds_count{route=\"batches\"} 3\n"), std::string::npos);
}

TEST(Metrics, SameNameAndLabelsIsTheSameSeries) {
  MetricsRegistry r;
  r.counter("c", "h", {{"a", "1"}}).inc();
  r.counter("c", "h", {{"a", "1"}}).inc();
  EXPECT_EQ(r.counter("c", "h", {{"a", "1"}}).value(), 2);
  EXPECT_THROW(r.gauge("c", "h"), std::logic_error);
}
