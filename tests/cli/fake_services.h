// In-process services playing the LRO conventions of SPEC.md, for the CLI tests.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lro/http.h"
#include "test_http_server.h"

namespace lro::cli_test {

// A JSON answer.
HttpResponse JsonResponse(int status, std::string body, Headers headers = {});

// The path of a request target, without its query.
std::string PathOf(const std::string& target);

// A Fabric service (SPEC §2, §9): POST {base}/v1/workspaces/ws-1/items answers 202 with
// Location {base}/v1/operations/op-1, x-ms-operation-id and Retry-After; the state endpoint
// answers Running (percent 0, 50, …) for `running_polls` polls, then the end; the result
// endpoint answers the result. Fabric says canceled as Failed + OperationCanceled.
class FabricService {
 public:
  struct Options {
    int running_polls = 2;
    std::string end = "Succeeded";  // or "Failed"
    bool has_result = true;
    std::string result_body = R"({"id":"nb-1","displayName":"Notebook 1","type":"Notebook"})";
    std::string result_content_type = "application/json";
    std::string error_code = "CapacityNotActive";  // when end == "Failed"
    std::string error_message = "The capacity is paused";
    std::string request_id = "7d0f4f52-3c2b-4a1d-9b8e-2f1f6c1e0a11";
    int retry_after = 0;
    // Answer Running at 45% until Release() (then `running_polls` more, then the end).
    bool hold = false;
  };

  explicit FabricService(Options options);
  FabricService() : FabricService(Options{}) {}

  [[nodiscard]] std::string base_url() const { return server_.base_url(); }
  [[nodiscard]] std::string start_url() const { return base_url() + "/v1/workspaces/ws-1/items"; }
  [[nodiscard]] std::string state_url() const { return base_url() + "/v1/operations/op-1"; }
  // Polling links point here instead (a "regional" host), e.g. another server's base URL.
  void set_link_base(std::string base);

  void Release() { released_ = true; }
  [[nodiscard]] int polls() const { return polls_.load(); }
  [[nodiscard]] std::vector<HttpRequest> requests() const { return server_.requests(); }

  // Answers one request; another server may forward here.
  HttpResponse Handle(const HttpRequest& request);

 private:
  [[nodiscard]] std::string LinkBase() const;

  Options options_;
  std::atomic<bool> released_{false};
  std::atomic<int> polls_{0};
  std::atomic<int> polls_after_release_{0};
  mutable std::mutex mutex_;
  std::string link_base_;
  test::TestHttpServer server_;
};

// An Azure data-plane service (SPEC §1, §2, §7): POST {base}/analyze?api-version=… answers
// 202 with Operation-Location (or Azure-AsyncOperation) {base}/operations/op-9; the monitor
// answers NotStarted/Running then the end, carrying `result` on success; POST
// {monitor}:cancel is honoured.
class AzureService {
 public:
  struct Options {
    std::string link_header = "Operation-Location";
    int running_polls = 2;
    std::string end = "Succeeded";  // "Succeeded", "Failed" or "Canceled"
    std::string result_json = R"({"pages":3,"language":"en"})";
    std::string error_code = "InvalidImage";
    std::string error_message = "The image is corrupt";
    // Answer Running until cancelled (then Canceled).
    bool run_until_cancelled = false;
  };

  explicit AzureService(Options options);
  AzureService() : AzureService(Options{}) {}

  [[nodiscard]] std::string base_url() const { return server_.base_url(); }
  [[nodiscard]] std::string start_url() const {
    return base_url() + "/analyze?api-version=2024-02-01";
  }
  [[nodiscard]] std::string monitor_url() const { return base_url() + "/operations/op-9"; }
  [[nodiscard]] std::vector<HttpRequest> requests() const { return server_.requests(); }
  [[nodiscard]] bool cancel_received() const { return cancelled_.load(); }

 private:
  HttpResponse Handle(const HttpRequest& request);

  Options options_;
  std::atomic<int> polls_{0};
  std::atomic<bool> cancelled_{false};
  test::TestHttpServer server_;
};

}  // namespace lro::cli_test
