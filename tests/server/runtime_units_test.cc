// The runtime's units split out of it (operation cache, retention, timers on an injected clock)
// and the wire rendering the API layer owns (Prometheus text). Time is a FakeClock the test
// moves: nothing here sleeps.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "api/prometheus_text.h"
#include "common/time_text.h"
#include "lro/server/store.h"
#include "lro/testing/fake_clock.h"
#include "runtime/group_committer.h"
#include "runtime/live_op.h"
#include "runtime/logger.h"
#include "runtime/metrics.h"
#include "runtime/operation_cache.h"
#include "runtime/retention.h"
#include "runtime/timer_queue.h"
#include "server_test_support.h"

namespace lro::server::internal {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<LiveOp> Op(std::string id) {
  auto op = std::make_shared<LiveOp>();
  op->id = std::move(id);
  return op;
}

TEST(OperationCache, KeepsAFinishedOperationHotForTheHotPeriodOnly) {
  auto clock = std::make_shared<testing::FakeClock>();
  OperationCache cache(clock, 60s, 100);
  auto a = Op("a");
  ASSERT_TRUE(cache.Add(a));
  cache.KeepHot(a);
  clock->Advance(60s);
  EXPECT_EQ(cache.CoolDown(), 0U);
  EXPECT_EQ(cache.Find("a"), a);
  clock->Advance(1ms);
  EXPECT_EQ(cache.CoolDown(), 1U);
  EXPECT_EQ(cache.Find("a"), nullptr);
  EXPECT_EQ(cache.size(), 0U);
}

TEST(OperationCache, ForgetsTheOldestFinishedBeyondTheHotLimit) {
  auto clock = std::make_shared<testing::FakeClock>();
  OperationCache cache(clock, 60s, 2);
  auto running = Op("running");
  cache.Add(running);
  for (const char* id : {"a", "b", "c"}) {
    auto op = Op(id);
    cache.Add(op);
    cache.KeepHot(op);
  }
  EXPECT_EQ(cache.Find("a"), nullptr);
  EXPECT_NE(cache.Find("b"), nullptr);
  EXPECT_NE(cache.Find("c"), nullptr);
  EXPECT_EQ(cache.Find("running"), running);  // not finished: never cooled down
  clock->Advance(1h);
  cache.CoolDown();
  EXPECT_EQ(cache.size(), 1U);
}

TEST(OperationCache, AddKeepsTheHeldOnePutReplacesItEraseForgetsOnlyTheOneGiven) {
  auto clock = std::make_shared<testing::FakeClock>();
  OperationCache cache(clock, 60s, 100);
  auto first = Op("x");
  auto second = Op("x");
  EXPECT_TRUE(cache.Add(first));
  EXPECT_FALSE(cache.Add(second));
  EXPECT_EQ(cache.Find("x"), first);
  cache.Put(second);
  EXPECT_EQ(cache.Find("x"), second);
  cache.Erase(first);  // no longer the one held under "x"
  EXPECT_EQ(cache.Find("x"), second);
  cache.Erase(second);
  EXPECT_EQ(cache.Find("x"), nullptr);
}

TEST(OperationCache, AHotOperationReplacedSinceIsNotForgottenWithIt) {
  auto clock = std::make_shared<testing::FakeClock>();
  OperationCache cache(clock, 1s, 100);
  auto old_one = Op("x");
  cache.Add(old_one);
  cache.KeepHot(old_one);
  auto adopted = Op("x");  // taken over, say
  cache.Put(adopted);
  clock->Advance(2s);
  cache.CoolDown();
  EXPECT_EQ(cache.Find("x"), adopted);
}

OperationRecord Finished(std::string id, std::int64_t expires_ms) {
  OperationRecord r;
  r.id = std::move(id);
  r.principal = "alice";
  r.type = "Item.Create";
  r.status = OperationStatus::kSucceeded;
  r.created_ms = expires_ms - 1000;
  r.updated_ms = expires_ms - 1000;
  r.expires_ms = expires_ms;
  return r;
}

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenSqliteStore(dir_.File("ops.db"));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = *opened;
    committer_ = std::make_unique<GroupCommitter>(store_, 100);
  }
  // Inserts `count` operations expiring at `expires_ms`, named prefix0…
  void Insert(const std::string& prefix, int count, std::int64_t expires_ms) {
    std::vector<StoreWrite> writes;
    writes.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      writes.push_back(StoreWrite{StoreWrite::Kind::kInsert,
                                  Finished(prefix + std::to_string(i), expires_ms), std::nullopt});
    }
    ASSERT_TRUE(store_->Commit(writes).ok());
  }
  std::int64_t WallMs() { return ToUnixMs(clock_->WallNow()); }
  bool Exists(const std::string& id) {
    auto found = store_->Get(id, false);
    return found.ok() && found->has_value();
  }

  test::TempDir dir_;
  std::shared_ptr<testing::FakeClock> clock_ = std::make_shared<testing::FakeClock>();
  Metrics metrics_;
  Logger logger_{LogLevel::kError, [](std::string_view) {}};
  std::shared_ptr<OperationStore> store_;
  std::unique_ptr<GroupCommitter> committer_;
};

TEST_F(RetentionTest, PurgeNowDeletesWhatExpiredOnTheClockInBatches) {
  Insert("old", 5, WallMs() + 1000);
  Insert("new", 2, WallMs() + 5000);
  Retention retention({60s, 2}, clock_, *committer_, metrics_, logger_);
  EXPECT_EQ(retention.PurgeNow(), 0U);
  clock_->Advance(1s);
  EXPECT_EQ(retention.PurgeNow(), 5U);  // batches of 2, 2, 1
  EXPECT_FALSE(Exists("old0"));
  EXPECT_TRUE(Exists("new0"));
  EXPECT_EQ(metrics_.operations_purged.load(), 5U);
}

TEST_F(RetentionTest, TickPassesOncePerIntervalAndAgainAtOnceAfterAFullBatch) {
  Insert("a", 3, WallMs() + 1000);
  clock_->Advance(2s);
  Retention retention({60s, 2}, clock_, *committer_, metrics_, logger_);
  retention.Tick();  // the first tick passes: 2 of 3 (a full batch: more are due)
  committer_->Flush();
  EXPECT_EQ(metrics_.operations_purged.load(), 2U);
  retention.Tick();  // within the interval, but the last batch was full
  committer_->Flush();
  EXPECT_EQ(metrics_.operations_purged.load(), 3U);
  Insert("b", 1, WallMs() + 1000);
  clock_->Advance(2s);
  retention.Tick();  // within the interval and the last batch was not full: no pass
  committer_->Flush();
  EXPECT_EQ(metrics_.operations_purged.load(), 3U);
  clock_->Advance(60s);
  retention.Tick();
  committer_->Flush();
  EXPECT_EQ(metrics_.operations_purged.load(), 4U);
  EXPECT_FALSE(Exists("b0"));
}

TEST_F(RetentionTest, PurgeNowAfterTheWriterStoppedReturnsInsteadOfWaiting) {
  Retention retention({60s, 2}, clock_, *committer_, metrics_, logger_);
  committer_->Stop();
  EXPECT_EQ(retention.PurgeNow(), 0U);
}

TEST(TimerQueueOnAClock, RunsATimerWhenTheClockReachesItsDeadline) {
  auto clock = std::make_shared<testing::FakeClock>();
  TimerQueue timers(clock);
  std::promise<MonotonicTime> ran;
  const MonotonicTime start = clock->Now();
  timers.After(10min, [&] { ran.set_value(clock->Now()); });
  EXPECT_EQ(timers.size(), 1U);  // ten minutes on the clock: not due
  clock->Advance(10min);
  timers.Recheck();
  auto future = ran.get_future();
  ASSERT_EQ(future.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(future.get() - start, 10min);
  EXPECT_EQ(timers.size(), 0U);
}

TEST(PrometheusText, RendersAHistogramCumulativelyWithItsLabels) {
  Histogram histogram;
  histogram.Observe(0.0002);
  histogram.Observe(0.003);
  histogram.Observe(7.0);
  std::string out;
  AppendMetricHeader(out, "x_seconds", "histogram", "How long.");
  AppendHistogram(out, "x_seconds", "endpoint=\"state\"", histogram);
  EXPECT_EQ(out.rfind("# HELP x_seconds How long.\n# TYPE x_seconds histogram\n", 0), 0U) << out;
  EXPECT_NE(out.find("x_seconds_bucket{endpoint=\"state\",le=\"0.0001\"} 0\n"), std::string::npos);
  EXPECT_NE(out.find("x_seconds_bucket{endpoint=\"state\",le=\"0.00025\"} 1\n"), std::string::npos);
  EXPECT_NE(out.find("x_seconds_bucket{endpoint=\"state\",le=\"0.005\"} 2\n"), std::string::npos);
  EXPECT_NE(out.find("x_seconds_bucket{endpoint=\"state\",le=\"5\"} 2\n"), std::string::npos);
  EXPECT_NE(out.find("x_seconds_bucket{endpoint=\"state\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(out.find("x_seconds_sum{endpoint=\"state\"} 7.0032"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_count{endpoint=\"state\"} 3\n"), std::string::npos);
  std::string sample;
  AppendSample(sample, "y_total", "counter", "Ys.", 42);
  EXPECT_EQ(sample, "# HELP y_total Ys.\n# TYPE y_total counter\ny_total 42\n");
}

}  // namespace
}  // namespace lro::server::internal
