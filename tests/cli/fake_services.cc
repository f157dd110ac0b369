#include "fake_services.h"

#include <utility>

namespace lro::cli_test {
namespace {

constexpr const char* kCreated = "2023-11-13T22:24:40.477Z";
constexpr const char* kUpdated = "2023-11-13T22:24:41.532Z";

std::string FabricState(const std::string& status, int percent, const std::string& error) {
  return std::string(R"({"status":")") + status + R"(","createdTimeUtc":")" + kCreated +
         R"(","lastUpdatedTimeUtc":")" + kUpdated + R"(","percentComplete":)" +
         std::to_string(percent) + R"(,"error":)" + error + "}";
}

}  // namespace

HttpResponse JsonResponse(int status, std::string body, Headers headers) {
  headers.push_back({"Content-Type", "application/json; charset=utf-8"});
  return HttpResponse{status, std::move(headers), std::move(body)};
}

std::string PathOf(const std::string& target) { return target.substr(0, target.find('?')); }

// --- Fabric --------------------------------------------------------------------------------

FabricService::FabricService(Options options)
    : options_(std::move(options)), server_([this](const HttpRequest& r) { return Handle(r); }) {}

void FabricService::set_link_base(std::string base) {
  std::lock_guard lock(mutex_);
  link_base_ = std::move(base);
}

std::string FabricService::LinkBase() const {
  std::lock_guard lock(mutex_);
  return link_base_.empty() ? base_url() : link_base_;
}

HttpResponse FabricService::Handle(const HttpRequest& request) {
  const std::string path = PathOf(request.url);
  const std::string retry_after = std::to_string(options_.retry_after);
  const Header request_id{"RequestId", options_.request_id};
  if (request.method == "POST" && path == "/v1/workspaces/ws-1/items") {
    return JsonResponse(202, "null",
                        {{"Location", LinkBase() + "/v1/operations/op-1"},
                         {"x-ms-operation-id", "op-1"},
                         {"Retry-After", retry_after},
                         request_id});
  }
  if (request.method == "GET" && path == "/v1/operations/op-1") {
    const int poll = ++polls_;
    const Headers running_headers{{"Location", LinkBase() + "/v1/operations/op-1"},
                                  {"x-ms-operation-id", "op-1"},
                                  {"Retry-After", retry_after},
                                  request_id};
    int step = poll;
    if (options_.hold) {
      if (!released_) return JsonResponse(200, FabricState("Running", 45, "null"), running_headers);
      step = ++polls_after_release_;
    }
    if (step <= options_.running_polls) {
      const int percent = (step - 1) * 100 / options_.running_polls;
      return JsonResponse(200, FabricState("Running", percent, "null"), running_headers);
    }
    if (options_.end == "Failed") {
      const std::string error = R"({"errorCode":")" + options_.error_code + R"(","message":")" +
                                options_.error_message + R"(","requestId":")" +
                                options_.request_id + R"("})";
      return JsonResponse(200, FabricState("Failed", 100, error), {request_id});
    }
    Headers done{request_id};
    if (options_.has_result) {
      done.push_back({"Location", LinkBase() + "/v1/operations/op-1/result"});
      done.push_back({"x-ms-operation-id", "op-1"});
    }
    return JsonResponse(200, FabricState("Succeeded", 100, "null"), std::move(done));
  }
  if (request.method == "GET" && path == "/v1/operations/op-1/result") {
    if (!options_.has_result) {
      return JsonResponse(400,
                          R"({"errorCode":"OperationHasNoResult","message":"No result",)"
                          R"("requestId":")" +
                              options_.request_id + R"("})",
                          {request_id});
    }
    return HttpResponse{
        200, {{"Content-Type", options_.result_content_type}, request_id}, options_.result_body};
  }
  return JsonResponse(404,
                      R"({"errorCode":"EntityNotFound","message":"The requested resource could )"
                      R"(not be found","requestId":")" +
                          options_.request_id + R"("})",
                      {request_id});
}

// --- Azure ---------------------------------------------------------------------------------

AzureService::AzureService(Options options)
    : options_(std::move(options)), server_([this](const HttpRequest& r) { return Handle(r); }) {}

HttpResponse AzureService::Handle(const HttpRequest& request) {
  const std::string path = PathOf(request.url);
  const Header request_id{"x-ms-request-id", "az-req-0042"};
  if (request.method == "POST" && path == "/analyze") {
    return HttpResponse{
        202, {{options_.link_header, monitor_url()}, {"Retry-After", "0"}, request_id}, ""};
  }
  if (request.method == "POST" && path == "/operations/op-9:cancel") {
    cancelled_ = true;
    return JsonResponse(200, R"({"id":"op-9","status":"Canceling"})", {request_id});
  }
  if (request.method == "GET" && path == "/operations/op-9") {
    const int poll = ++polls_;
    const Headers running{{"Retry-After", "0"}, request_id};
    if (cancelled_) return JsonResponse(200, R"({"id":"op-9","status":"Canceled"})", {request_id});
    if (options_.run_until_cancelled || poll <= options_.running_polls) {
      const char* status = poll == 1 ? "NotStarted" : "Running";
      return JsonResponse(200, std::string(R"({"id":"op-9","status":")") + status + R"("})",
                          running);
    }
    if (options_.end == "Succeeded") {
      return JsonResponse(
          200, R"({"id":"op-9","status":"Succeeded","result":)" + options_.result_json + "}",
          {request_id});
    }
    if (options_.end == "Failed") {
      return JsonResponse(200,
                          R"({"id":"op-9","status":"Failed","error":{"code":")" +
                              options_.error_code + R"(","message":")" + options_.error_message +
                              R"("}})",
                          {request_id});
    }
    return JsonResponse(200, R"({"id":"op-9","status":"Canceled"})", {request_id});
  }
  return JsonResponse(404, R"({"error":{"code":"NotFound","message":"No such thing"}})",
                      {request_id});
}

}  // namespace lro::cli_test
