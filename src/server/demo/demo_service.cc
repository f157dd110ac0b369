// The demo service: Fabric-like workspaces and items whose creation is a long-running
// operation with controllable duration, progress and failure.

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "common/json_text.h"
#include "lro/server/demo.h"
#include "wire/service_error_parse.h"
#include "wire/thread_safety.h"

namespace lro::server {
namespace {

constexpr std::int64_t kMaxDurationMs = 24LL * 3600 * 1000;
constexpr int kMaxProgressSteps = 100;

struct Item {
  std::string id;
  std::string workspace_id;
  std::string display_name;
  std::string type;
  std::string description;
};

std::string ItemJson(const Item& item) {
  std::string out = "{\"id\":";
  internal::AppendJsonString(out, item.id);
  out += ",\"type\":";
  internal::AppendJsonString(out, item.type);
  out += ",\"displayName\":";
  internal::AppendJsonString(out, item.display_name);
  out += ",\"description\":";
  internal::AppendJsonString(out, item.description);
  out += ",\"workspaceId\":";
  internal::AppendJsonString(out, item.workspace_id);
  out += '}';
  return out;
}

// Items by caller, workspace and id. In memory: the operations and their results are what
// lrod keeps durable.
class ItemStore {
 public:
  void Put(const std::string& principal, const Item& item) {
    MutexLock lock(mutex_);
    items_[{principal, item.workspace_id}][item.id] = ItemJson(item);
  }
  std::optional<std::string> Get(const std::string& principal, std::string_view workspace,
                                 std::string_view id) {
    MutexLock lock(mutex_);
    auto ws = items_.find({principal, std::string(workspace)});
    if (ws == items_.end()) return std::nullopt;
    auto it = ws->second.find(std::string(id));
    if (it == ws->second.end()) return std::nullopt;
    return it->second;
  }
  std::string List(const std::string& principal, std::string_view workspace) {
    MutexLock lock(mutex_);
    std::string out = "{\"value\":[";
    auto ws = items_.find({principal, std::string(workspace)});
    if (ws != items_.end()) {
      bool first = true;
      for (const auto& [id, json] : ws->second) {
        if (!first) out += ',';
        first = false;
        out += json;
      }
    }
    out += "]}";
    return out;
  }

 private:
  Mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::string>> items_
      LRO_GUARDED_BY(mutex_);
};

// The demo's effect outside lrod (see lro/server/demo.h): the ids of the operations whose item
// was created, once each, in a file replicas on one machine share.
class EffectsFile {
 public:
  explicit EffectsFile(std::string path) : path_(std::move(path)) {}

  // Appends `operation_id` unless the file has it; returns an error when the file cannot be
  // read or written (the operation then fails and records nothing).
  std::optional<ErrorInfo> RecordOnce(const std::string& operation_id) const {
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return Failure("open");
    std::optional<ErrorInfo> error;
    if (::flock(fd, LOCK_EX) != 0) {
      error = Failure("lock");
    } else if (auto contents = ReadAll(fd); !contents) {
      error = Failure("read");
    } else if (contents->find(operation_id + "\n") == std::string::npos) {
      const std::string line = operation_id + "\n";
      if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
          ::fdatasync(fd) != 0) {
        error = Failure("write");
      }
    }
    ::close(fd);  // releases the lock
    return error;
  }

 private:
  static std::optional<std::string> ReadAll(int fd) {
    std::string contents;
    char buffer[8192];
    for (off_t offset = 0;;) {
      const ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
      if (n < 0) return std::nullopt;
      if (n == 0) return contents;
      contents.append(buffer, static_cast<std::size_t>(n));
      offset += n;
    }
  }
  ErrorInfo Failure(const char* what) const {
    return ErrorInfo{"EffectNotRecorded",
                     std::string("The demo could not ") + what + " its effects file " + path_ +
                         ": " + std::strerror(errno),
                     {},
                     true};
  }

  std::string path_;
};

struct Plan {
  std::int64_t duration_ms = 0;
  int progress_steps = 0;
  std::optional<ErrorInfo> fail;
  bool no_result = false;
};

struct Run {
  std::shared_ptr<ItemStore> items;
  std::shared_ptr<const EffectsFile> effects;  // null: none
  std::string principal;
  Item item;
  Plan plan;
};

WorkResult Finish(const Run& run, const WorkContext& context) {
  if (run.plan.fail) return WorkResult::Error(*run.plan.fail);
  Item item = run.item;
  item.id = context.operation_id();  // a re-run creates the same item
  if (run.effects) {
    if (auto error = run.effects->RecordOnce(item.id)) return WorkResult::Error(*error);
  }
  run.items->Put(run.principal, item);
  if (run.plan.no_result) return WorkResult::NoResult();
  return WorkResult::Json(ItemJson(item));
}

// Step k of k = 0 … progress_steps + 1: the duration is split into progress_steps + 1 equal
// waits; after each wait but the last, progress is reported.
Work Step(std::shared_ptr<const Run> run, int k) {
  return [run = std::move(run), k](WorkContext& context) -> WorkResult {
    if (context.CancelRequested()) return WorkResult::Canceled();
    const int intervals = run->plan.progress_steps + 1;
    if (k == 0 && run->plan.duration_ms == 0) return Finish(*run, context);
    if (k > 0 && k < intervals) context.ReportProgress(k * 100 / intervals);
    if (k == intervals) return Finish(*run, context);
    const std::int64_t start = run->plan.duration_ms * k / intervals;
    const std::int64_t end = run->plan.duration_ms * (k + 1) / intervals;
    return WorkResult::ContinueAfter(std::chrono::milliseconds(end - start), Step(run, k + 1));
  };
}

ErrorInfo Invalid(std::string message, std::string parameter) {
  ErrorInfo error{"InvalidInput", "The request is invalid: " + message, {}, false};
  error.more_details.push_back(
      ErrorDetail{"InvalidParameter", std::move(message), std::move(parameter), "Parameter"});
  return error;
}

std::optional<std::int64_t> IntegerField(const boost::json::value& value) {
  if (value.is_int64()) return value.get_int64();
  if (value.is_uint64() && value.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(value.get_uint64());
  }
  if (value.is_double() &&
      value.get_double() == static_cast<double>(static_cast<std::int64_t>(value.get_double()))) {
    return static_cast<std::int64_t>(value.get_double());
  }
  return std::nullopt;
}

// Reads the optional "demo" object.
std::optional<ErrorInfo> ParsePlan(const boost::json::object& body, Plan& plan) {
  const auto* demo = body.if_contains("demo");
  if (demo == nullptr || demo->is_null()) return std::nullopt;
  if (!demo->is_object()) return Invalid("demo must be an object.", "demo");
  const auto& o = demo->get_object();
  if (const auto* v = o.if_contains("durationMs")) {
    auto ms = IntegerField(*v);
    if (!ms || *ms < 0 || *ms > kMaxDurationMs) {
      return Invalid("demo.durationMs must be an integer from 0 to 86400000.", "demo.durationMs");
    }
    plan.duration_ms = *ms;
  }
  if (const auto* v = o.if_contains("progressSteps")) {
    auto steps = IntegerField(*v);
    if (!steps || *steps < 0 || *steps > kMaxProgressSteps) {
      return Invalid("demo.progressSteps must be an integer from 0 to 100.", "demo.progressSteps");
    }
    plan.progress_steps = static_cast<int>(*steps);
  }
  if (const auto* v = o.if_contains("noResult")) {
    if (!v->is_bool()) return Invalid("demo.noResult must be a boolean.", "demo.noResult");
    plan.no_result = v->get_bool();
  }
  if (const auto* v = o.if_contains("failWith"); v && !v->is_null()) {
    const auto* code = v->is_object() ? v->get_object().if_contains("errorCode") : nullptr;
    if (code == nullptr || !code->is_string() || code->get_string().empty()) {
      return Invalid("demo.failWith must be an object with a non-empty errorCode.",
                     "demo.failWith");
    }
    // errorCode is there, so the one error parser reads it (wire::ParseErrorObject).
    ErrorInfo error = internal::ToErrorInfo(*wire::ParseErrorObject(*v));
    plan.fail = std::move(error);
  }
  return std::nullopt;
}

Reply CreateItem(const Request& request, const std::shared_ptr<ItemStore>& items,
                 const std::shared_ptr<const EffectsFile>& effects, const DemoOptions& options) {
  static const std::set<std::string, std::less<>> kTypes{
      "Notebook",    "Lakehouse", "Report",      "SemanticModel",      "DataPipeline",
      "Environment", "Warehouse", "KQLDatabase", "SparkJobDefinition", "Eventhouse"};
  boost::system::error_code ec;
  const auto body = boost::json::parse(request.body, ec);
  if (ec || !body.is_object()) {
    return Reply::Fail(
        400, ErrorInfo{"InvalidInput", "The request body must be a JSON object.", {}, false});
  }
  const auto& o = body.get_object();
  Item item;
  item.workspace_id = std::string(request.Param("ws").value_or(""));
  const auto* name = o.if_contains("displayName");
  if (name == nullptr || !name->is_string() || name->get_string().empty() ||
      name->get_string().size() > 256) {
    return Reply::Fail(
        400, Invalid("displayName must be a string of 1 to 256 characters.", "displayName"));
  }
  item.display_name = std::string(name->get_string());
  const auto* type = o.if_contains("type");
  if (type == nullptr || !type->is_string() ||
      !kTypes.contains(std::string_view(type->get_string()))) {
    std::string known;
    for (const auto& t : kTypes) known += (known.empty() ? "" : ", ") + t;
    return Reply::Fail(400, Invalid("type must be one of " + known + ".", "type"));
  }
  item.type = std::string(type->get_string());
  if (const auto* description = o.if_contains("description");
      description && !description->is_null()) {
    if (!description->is_string() || description->get_string().size() > 1024) {
      return Reply::Fail(
          400, Invalid("description must be a string of at most 1024 characters.", "description"));
    }
    item.description = std::string(description->get_string());
  }
  Plan plan;
  plan.duration_ms = options.default_duration.count();
  plan.progress_steps = options.default_progress_steps;
  if (auto error = ParsePlan(o, plan)) return Reply::Fail(400, std::move(*error));

  auto run = std::make_shared<Run>();
  run->items = items;
  run->effects = effects;
  run->principal = request.principal;
  run->item = std::move(item);
  run->plan = std::move(plan);
  std::string display_name = run->item.display_name;
  return Reply::Start(Step(std::move(run), 0), std::move(display_name));
}

}  // namespace

void RegisterDemoService(Server& server, const DemoOptions& options) {
  auto items = std::make_shared<ItemStore>();
  std::shared_ptr<const EffectsFile> effects;
  if (!options.effects_file.empty()) effects = std::make_shared<EffectsFile>(options.effects_file);
  RouteOptions create;
  create.operation_type = "Item.Create";
  create.idempotent = true;
  create.inline_status = 201;
  server.Route("POST", "/v1/workspaces/{ws}/items", create,
               [items, effects, options](const Request& request) {
                 return CreateItem(request, items, effects, options);
               });
  server.Route("GET", "/v1/workspaces/{ws}/items/{id}", {}, [items](const Request& request) {
    auto item = items->Get(request.principal, *request.Param("ws"), *request.Param("id"));
    if (!item) return Reply::NotFound("ItemNotFound", "The requested item was not found.");
    return Reply::Respond(200, std::move(*item));
  });
  server.Route("GET", "/v1/workspaces/{ws}/items", {}, [items](const Request& request) {
    return Reply::Respond(200, items->List(request.principal, *request.Param("ws")));
  });
}

}  // namespace lro::server
