// lrod_wait: N demo operations started at once on lrod and waited on by one client (lro's
// engine, one thread), either polling as usual or asking lrod to hold each poll until the state
// changes (`Prefer: wait`). Run by bench/lrod/prefer_wait.sh, which starts lrod.
//   lrod_wait --url http://127.0.0.1:PORT --count N --prefer-wait S [--server-pid PID]
// The i-th operation runs --duration-ms + i × --spread-ms / N, so that ends are spread out.
// Prints one JSON line:
//   {"mode":…,"operations":N,"succeeded":S,"requests":R,"elapsed_ms":E,
//    "notice_ms":{"p50":…,"p99":…,"max":…},"server_cpu_s":C}
// where notice is how long after the operation's end (its lastUpdatedTimeUtc in lrod) the
// client had its result in hand (the final GET of the result included).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "lro/client.h"
#include "lro/engine.h"

namespace {

using Clock = std::chrono::system_clock;

// CPU seconds (user + system) used so far by process `pid`, or -1 when it cannot be read.
double ProcessCpuSeconds(int pid) {
  if (pid <= 0) return -1;
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(file, line)) return -1;
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  double utime = 0;
  double stime = 0;
  for (int index = 3; fields >> field; ++index) {
    if (index == 14) utime = std::stod(field);
    if (index == 15) {
      stime = std::stod(field);
      break;
    }
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double Percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
  return values[index];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Waits on N lrod demo operations with ordinary polling or Prefer: wait."};
  std::string url;
  std::size_t count = 10'000;
  int prefer_wait = 30;
  int duration_ms = 20'000;
  int spread_ms = 10'000;
  int server_pid = 0;
  app.add_option("--url", url, "lrod's base URL (with --demo)")->required();
  app.add_option("--count", count, "Operations")->check(CLI::PositiveNumber);
  app.add_option("--prefer-wait", prefer_wait, "Prefer: wait=S on polls; 0 = poll as usual")
      ->check(CLI::Range(0, 3600));
  app.add_option("--duration-ms", duration_ms, "Shortest operation")->check(CLI::Range(0, 600'000));
  app.add_option("--spread-ms", spread_ms, "Ends spread over this much more")
      ->check(CLI::Range(0, 600'000));
  app.add_option("--server-pid", server_pid, "lrod's pid, to report its CPU time");
  CLI11_PARSE(app, argc, argv);
  while (!url.empty() && url.back() == '/') url.pop_back();

  // Every operation may hold a poll (and so a connection) at once: room for all of them.
  const int room = static_cast<int>(count) + 64;
  lro::EngineOptions engine_options;
  engine_options.max_requests_in_flight = room;
  engine_options.max_connections_per_host = room;
  engine_options.max_held_polls = prefer_wait > 0 ? room : 0;
  auto engine = std::make_shared<lro::Engine>(engine_options);
  lro::ClientOptions options;
  options.engine = engine;
  options.polling.prefer_wait = std::chrono::seconds(prefer_wait);
  lro::Client client(options);

  struct Watch {
    std::optional<Clock::time_point> ended;    // the operation's end, as lrod stamped it
    std::optional<Clock::time_point> noticed;  // when the client had the result
    bool succeeded = false;
  };
  // Written on the engine thread only (callbacks), read after every operation ended.
  std::vector<Watch> watches(count);
  std::mutex mutex;
  std::condition_variable all_done;
  std::size_t finished = 0;

  const double cpu_before = ProcessCpuSeconds(server_pid);
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < count; ++i) {
    const long run_ms =
        duration_ms + static_cast<long>(static_cast<double>(spread_ms) * static_cast<double>(i) /
                                        static_cast<double>(count));
    const std::string body = R"({"displayName":"wait-)" + std::to_string(i) +
                             R"(","type":"Notebook","demo":{"durationMs":)" +
                             std::to_string(run_ms) + R"(,"progressSteps":0}})";
    Watch* watch = &watches[i];
    client.StartAsync(
        lro::Request("POST", url + "/v1/workspaces/ws1/items").Json(body),
        [watch, &mutex, &all_done, &finished, count](const lro::StatusOr<lro::Result>& result) {
          watch->noticed = Clock::now();
          watch->succeeded = result.ok();
          std::lock_guard lock(mutex);
          if (++finished == count) all_done.notify_one();
        },
        lro::OperationOptions{},
        [watch](const lro::OperationState& state) {
          if (state.done()) watch->ended = state.last_updated;
        });
  }
  {
    std::unique_lock lock(mutex);
    all_done.wait(lock, [&] { return finished == count; });
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  const double cpu_after = ProcessCpuSeconds(server_pid);

  std::vector<double> notice_ms;
  std::size_t succeeded = 0;
  for (const Watch& watch : watches) {
    if (watch.succeeded) ++succeeded;
    if (watch.ended && watch.noticed) {
      notice_ms.push_back(
          std::chrono::duration<double, std::milli>(*watch.noticed - *watch.ended).count());
    }
  }
  const auto stats = engine->stats();
  char line[512];
  std::snprintf(line, sizeof line,
                R"({"mode":"%s","operations":%zu,"succeeded":%zu,"requests":%llu,)"
                R"("elapsed_ms":%lld,"notice_ms":{"p50":%.1f,"p99":%.1f,"max":%.1f,)"
                R"("samples":%zu},"server_cpu_s":%.2f})",
                prefer_wait > 0 ? "prefer-wait" : "polling", count, succeeded,
                static_cast<unsigned long long>(stats.requests),
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()),
                Percentile(notice_ms, 0.5), Percentile(notice_ms, 0.99),
                notice_ms.empty() ? 0.0 : *std::max_element(notice_ms.begin(), notice_ms.end()),
                notice_ms.size(),
                cpu_before >= 0 && cpu_after >= 0 ? cpu_after - cpu_before : -1.0);
  std::cout << line << std::endl;
  return succeeded == count ? 0 : 1;
}
