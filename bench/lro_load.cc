// lro_load: starts N operations at once on the engine against one URL and waits for all.
//   lro_load --url URL --count N [--method M] [--body JSON] [--threads T] [--lateness]
// The i-th operation's initial request goes to URL + "/<i>". The last line of output is
//   {"succeeded":S,"failed":F,"elapsed_ms":E,"requests":R}
// With --lateness, the line before it reports how late polls were sent after their due time:
//   {"lateness_ms":{"p50":…,"p99":…,"max":…,"samples":…}}
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lro/bench.h"
#include "lro/client.h"

int main(int argc, char** argv) {
  CLI::App app{"Starts N long-running operations at once on lro's engine and waits for all."};
  std::string url;
  std::size_t count = 1000;
  std::string method = "PUT";
  std::string body = "{}";
  int threads = 1;
  int connections = 64;
  bool lateness = false;
  app.add_option("--url", url, "Base URL; the i-th operation starts at URL/<i>")->required();
  app.add_option("--count", count, "Number of operations")->check(CLI::PositiveNumber);
  app.add_option("--method", method, "Method of the initial request");
  app.add_option("--body", body, "JSON body of the initial request");
  app.add_option("--threads", threads, "Engine threads (one engine each)")
      ->check(CLI::Range(1, 64));
  app.add_option("--connections", connections, "Connections per host and engine")
      ->check(CLI::Range(1, 4096));
  app.add_flag("--lateness", lateness, "Report how late polls fire after their due time");
  CLI11_PARSE(app, argc, argv);
  while (!url.empty() && url.back() == '/') url.pop_back();

  std::vector<std::shared_ptr<lro::Engine>> engines;
  std::vector<std::unique_ptr<lro::Client>> clients;
  for (int i = 0; i < threads; ++i) {
    lro::EngineOptions engine_options;
    engine_options.max_connections_per_host = connections;
    engines.push_back(std::make_shared<lro::Engine>(engine_options));
    lro::bench::RecordLateness(*engines.back(), lateness);
    lro::ClientOptions options;
    options.engine = engines.back();
    options.polling.floor = std::chrono::milliseconds(0);  // the server's Retry-After: 0 rules
    clients.push_back(std::make_unique<lro::Client>(options));
  }

  std::mutex mutex;
  std::condition_variable all_done;
  std::size_t finished = 0;
  std::atomic<std::size_t> succeeded{0};
  std::atomic<std::size_t> failed{0};
  std::string first_error;

  const auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < count; ++i) {
    lro::Client& client = *clients[i % clients.size()];
    client.StartAsync(lro::Request(method, url + "/" + std::to_string(i)).Json(body),
                      [&](const lro::StatusOr<lro::Result>& outcome) {
                        if (outcome.ok()) {
                          ++succeeded;
                        } else {
                          ++failed;
                        }
                        std::lock_guard lock(mutex);
                        if (!outcome.ok() && first_error.empty()) {
                          first_error = outcome.status().ToString();
                        }
                        if (++finished == count) all_done.notify_one();
                      });
  }
  {
    std::unique_lock lock(mutex);
    all_done.wait(lock, [&] { return finished == count; });
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;

  std::uint64_t requests = 0;
  std::vector<std::int64_t> late;
  for (const auto& engine : engines) {
    requests += engine->stats().requests;
    if (lateness) {
      auto samples = lro::bench::Lateness(*engine);
      late.insert(late.end(), samples.begin(), samples.end());
    }
  }
  if (!first_error.empty()) std::cerr << "first error: " << first_error << "\n";
  if (lateness) {
    std::sort(late.begin(), late.end());
    auto at = [&](double q) -> double {
      if (late.empty()) return 0.0;
      const auto index = static_cast<std::size_t>(q * static_cast<double>(late.size() - 1));
      return static_cast<double>(late[index]) / 1000.0;
    };
    std::printf("{\"lateness_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"samples\":%zu}}\n",
                at(0.50), at(0.99), late.empty() ? 0.0 : static_cast<double>(late.back()) / 1000.0,
                late.size());
  }
  std::printf("{\"succeeded\":%zu,\"failed\":%zu,\"elapsed_ms\":%lld,\"requests\":%llu}\n",
              succeeded.load(), failed.load(),
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()),
              static_cast<unsigned long long>(requests));
  clients.clear();
  engines.clear();
  return failed.load() == 0 ? 0 : 1;
}
