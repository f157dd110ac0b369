// StateWatchers (Prefer: wait's held reads): each waiter completes exactly once, with the first
// committed state of its operation, with what Wake gives it, or with null on timeout or Stop.
#include "runtime/state_watchers.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

namespace lro::server::internal {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::shared_ptr<const Snapshot> State(const std::string& id, int percent) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->id = id;
  snapshot->percent_complete = percent;
  return snapshot;
}

// What the callbacks received, in order; `null` counts the null completions.
struct Received {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::shared_ptr<const Snapshot>> states;
  int null = 0;

  StateWatchers::Callback Callback() {
    return [this](std::shared_ptr<const Snapshot> state) {
      std::lock_guard lock(mutex);
      if (state) {
        states.push_back(std::move(state));
      } else {
        ++null;
      }
      changed.notify_all();
    };
  }
  // Waits (30 s at most) until `count` completions arrived.
  bool WaitFor(std::size_t count) {
    std::unique_lock lock(mutex);
    return changed.wait_for(
        lock, seconds(30), [&] { return states.size() + static_cast<std::size_t>(null) >= count; });
  }
};

TEST(StateWatchers, ACommitCompletesTheWaitersOfItsOperationOnly) {
  Received a;  // outlive the watchers, whose destructor completes what still waits
  Received b;
  StateWatchers watchers;
  watchers.Watch("op-a", seconds(600), a.Callback());
  watchers.Watch("op-a", seconds(600), a.Callback());
  watchers.Watch("op-b", seconds(600), b.Callback());
  EXPECT_EQ(watchers.size(), 3u);

  const auto state = State("op-a", 50);
  watchers.Notify("alice", state);
  ASSERT_TRUE(a.WaitFor(2));
  EXPECT_EQ(a.states.size(), 2u);
  EXPECT_EQ(a.states[0], state);
  EXPECT_EQ(watchers.size(), 1u);

  // A second commit finds nobody waiting on op-a: each waiter completes once.
  watchers.Notify("alice", State("op-a", 60));
  EXPECT_EQ(a.states.size(), 2u);
  EXPECT_EQ(b.states.size(), 0u);
}

TEST(StateWatchers, WakeCompletesOneWaiterOnceAndTimeoutsAreNull) {
  Received r;
  Received timed_out;
  StateWatchers watchers;
  const auto id = watchers.Watch("op", seconds(600), r.Callback());
  watchers.Wake(id, State("op", 10));
  watchers.Wake(id, State("op", 20));  // already completed: nothing
  watchers.Notify("alice", State("op", 30));
  ASSERT_TRUE(r.WaitFor(1));
  EXPECT_EQ(r.states.size(), 1u);
  EXPECT_EQ(r.states[0]->percent_complete, 10);

  watchers.Watch("op", milliseconds(0), timed_out.Callback());
  ASSERT_TRUE(timed_out.WaitFor(1));
  EXPECT_EQ(timed_out.null, 1);
  EXPECT_EQ(watchers.size(), 0u);
}

TEST(StateWatchers, SubscribersHearTheirPrincipalsCommitsUntilUnsubscribed) {
  Received alice;
  Received bob;
  int stopped = 0;
  StateWatchers watchers;
  const auto on_change = [](Received& r) {
    return [&r](const std::shared_ptr<const Snapshot>& state) { r.Callback()(state); };
  };
  const auto id = watchers.Subscribe("alice", on_change(alice), [&stopped] { ++stopped; });
  watchers.Subscribe("bob", on_change(bob), [&stopped] { ++stopped; });
  EXPECT_EQ(watchers.subscribers(), 2u);
  watchers.Notify("alice", State("op-1", 10));
  watchers.Notify("alice", State("op-1", 20));
  EXPECT_EQ(alice.states.size(), 2u);
  EXPECT_EQ(bob.states.size(), 0u);
  watchers.Unsubscribe(id);
  watchers.Notify("alice", State("op-1", 30));
  EXPECT_EQ(alice.states.size(), 2u);
  watchers.Stop();
  EXPECT_EQ(stopped, 1);  // bob's; alice had unsubscribed
  EXPECT_EQ(watchers.subscribers(), 0u);
}

TEST(StateWatchers, SubscribersGetHeartbeats) {
  Received r;
  StateWatchers watchers(milliseconds(1));
  watchers.Subscribe(
      "alice", [&r](const std::shared_ptr<const Snapshot>& state) { r.Callback()(state); }, [] {});
  ASSERT_TRUE(r.WaitFor(3));  // three heartbeats: they go on while someone listens
  watchers.Stop();
  std::lock_guard lock(r.mutex);
  EXPECT_GE(r.null, 3);
}

TEST(StateWatchers, StopCompletesEveryWaiterWithNullAndRefusesNewOnes) {
  Received r;
  StateWatchers watchers;
  watchers.Watch("op-1", seconds(600), r.Callback());
  watchers.Watch("op-2", seconds(600), r.Callback());
  watchers.Stop();
  EXPECT_EQ(r.null, 2);
  EXPECT_EQ(watchers.size(), 0u);
  EXPECT_EQ(watchers.Watch("op-3", seconds(600), r.Callback()), 0u);
  EXPECT_EQ(r.null, 3);
  watchers.Stop();  // idempotent
}

}  // namespace
}  // namespace lro::server::internal
