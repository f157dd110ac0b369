#include "arguments.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>

#include "exit_codes.h"

namespace lro::cli {
namespace {

constexpr const char* kVersion = "lro 0.1.0";

constexpr const char* kDescription =
    "lro: start, watch and resume HTTP long-running operations (Fabric, Azure, ARM, Google\n"
    "AIP-151 and any API that follows the same conventions).";

constexpr const char* kTargetHelp =
    "The operation: a resume token (JSON, as printed by `lro start --no-wait`), @FILE holding "
    "one, - to read one from stdin, or the http(s) URL of a status monitor (e.g. a Fabric "
    "/v1/operations/{id} URL)";

const std::map<std::string, PollingMode>& ModeNames() {
  static const auto* const kNames = new std::map<std::string, PollingMode>{
      {"auto", PollingMode::kAuto},
      {"operation-location", PollingMode::kOperationLocation},
      {"azure-async-operation", PollingMode::kAzureAsyncOperation},
      {"fabric", PollingMode::kFabric},
      {"location", PollingMode::kLocation},
      {"body", PollingMode::kBody},
      {"google", PollingMode::kGoogle},
  };
  return *kNames;
}

const std::map<std::string, FinalStateVia>& FinalStateViaNames() {
  static const auto* const kNames = new std::map<std::string, FinalStateVia>{
      {"location", FinalStateVia::kLocation},
      {"original-uri", FinalStateVia::kOriginalUri},
      {"azure-async-operation", FinalStateVia::kAzureAsyncOperation},
      {"operation-location", FinalStateVia::kOperationLocation},
  };
  return *kNames;
}

// A number of seconds, >= 0. CLI11's range check would print the largest double in full.
CLI::Validator Seconds() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        try {
          std::size_t used = 0;
          const double value = std::stod(text, &used);
          if (used == text.size() && value >= 0 && std::isfinite(value)) return {};
        } catch (const std::exception&) {
        }
        return "'" + text + "' is not a number of seconds (e.g. 30 or 0.5)";
      },
      "");
}

// Options every command takes, bound to `common`. Each subcommand gets its own copy so that
// they may follow the command (`lro wait TOKEN --timeout 60`) and show in `lro CMD --help`.
void AddCommonOptions(CLI::App& command, CommonOptions& common) {
  const char* const kOutput = "Output";
  const char* const kPolling = "Polling";
  const char* const kAuth = "Credentials";

  command
      .add_flag("--json", common.json,
                "Machine-readable output: events as JSON lines on stderr; `status`, `cancel` "
                "and `start --no-wait` print a JSON state object on stdout")
      ->group(kOutput);
  auto* quiet = command
                    .add_flag("-q,--quiet", common.quiet,
                              "No progress, notices or warnings on stderr; errors still show")
                    ->group(kOutput);
  command
      .add_flag("-v,--verbose", common.verbose,
                "Print each request and response line and error details on stderr (never "
                "credentials)")
      ->group(kOutput)
      ->excludes(quiet);

  command
      .add_option("--timeout", common.timeout_seconds,
                  "Give up locally after SECONDS (exit code 5); the operation goes on and its "
                  "resume token is printed on stdout")
      ->check(Seconds())
      ->type_name("SECONDS")
      ->group(kPolling);
  command
      .add_option("--interval", common.interval_seconds,
                  "Poll every SECONDS when the server gives no Retry-After (default: backoff "
                  "from 1 s up to 30 s)")
      ->check(Seconds())
      ->type_name("SECONDS")
      ->group(kPolling);
  command
      .add_option("--prefer-wait", common.prefer_wait_seconds,
                  "Ask a server that supports it (lrod) to hold each poll until the state "
                  "changes, up to SECONDS (`Prefer: wait`); other servers are polled as usual. "
                  "0 = never ask")
      ->check(CLI::Range(0, 3600).description(""))
      ->type_name("SECONDS")
      ->default_str("30")
      ->group(kPolling);
  command
      .add_option("--mode", common.mode,
                  "Polling convention: auto (default: detect it from the first answer), "
                  "operation-location, azure-async-operation, fabric, location, body, google")
      ->transform(CLI::CheckedTransformer(ModeNames(), CLI::ignore_case).description(""))
      ->type_name("MODE")
      ->group(kPolling);
  command
      .add_option("--final-state-via", common.final_state_via,
                  "Where the result of a POST lives (OpenAPI x-ms-long-running-operation-options): "
                  "location, original-uri, azure-async-operation, operation-location")
      ->transform(CLI::CheckedTransformer(FinalStateViaNames(), CLI::ignore_case).description(""))
      ->type_name("VIA")
      ->group(kPolling);

  command
      .add_option("--bearer", common.bearer,
                  "Send `Authorization: Bearer TOKEN` to the operation's own origin and to "
                  "--allow-host hosts. Resume tokens never hold it: pass it again to wait, status, "
                  "result and cancel")
      ->envname("LRO_BEARER")
      ->type_name("TOKEN")
      ->group(kAuth);
  command
      .add_option("--allow-host", common.allowed_hosts,
                  "Also send credentials to this host (exact name or *.domain); repeatable")
      ->type_name("PATTERN")
      ->allow_extra_args(false)
      ->group(kAuth);
  command.add_option("--cacert", common.ca_file, "Extra CA bundle (PEM) to trust")
      ->check(CLI::ExistingFile.description(""))
      ->type_name("FILE")
      ->group(kAuth);
}

void AddTargetArgument(CLI::App& command, TargetOptions& target) {
  command.add_option("target", target.target, kTargetHelp)->required()->type_name("TOKEN|URL");
}

std::string Upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

}  // namespace

std::variant<Arguments, int> ParseArguments(int argc, char** argv) {
  Arguments args;
  CLI::App app(kDescription, "lro");
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  app.footer(kExitCodesHelp);
  app.failure_message([](const CLI::App* /*app*/, const CLI::Error& e) {
    return std::string("lro: ") + e.what() + "\nRun with --help for more information.\n";
  });

  CLI::App* start = app.add_subcommand(
      "start",
      "Send the initial request and, unless --no-wait, wait for the end and write the result "
      "to stdout as it came");
  start->footer(std::string("Examples:\n"
                            "  lro start -d @item.json "
                            "https://api.fabric.microsoft.com/v1/workspaces/WS/items\n"
                            "  lro start -X PUT -H 'x-ms-client-request-id: 42' -d '{}' URL\n"
                            "  token=$(lro start --no-wait URL) && lro wait \"$token\"\n\n") +
                kExitCodesHelp);
  start->add_option("url", args.start.url, "URL of the request that starts the operation")
      ->required();
  start->add_option("-X,--request", args.start.method, "HTTP method (default POST)")
      ->type_name("METHOD");
  start
      ->add_option("-d,--data", args.start.data,
                   "Request body: text, @FILE for a file's bytes, or @- for stdin. Sends "
                   "Content-Type: application/json unless -H sets one")
      ->type_name("BODY");
  start
      ->add_option("-H,--header", args.start.headers,
                   "Request header 'Name: value'; repeatable. Carried to every poll (not body "
                   "headers); credentials only where allowed")
      ->type_name("HEADER")
      ->allow_extra_args(false);  // one header per -H: never swallow the URL after it
  start->add_flag("--no-wait", args.start.no_wait,
                  "Print the resume token on stdout once the operation has started, and exit");
  start->add_flag("--no-idempotency-key", args.start.no_idempotency_key,
                  "Send a POST without the Repeatability-Request-ID + Repeatability-First-Sent "
                  "the client adds by default; it is then never retried after a transient "
                  "failure. A key given with -H is always kept as given");
  AddCommonOptions(*start, args.common);

  CLI::App* wait = app.add_subcommand(
      "wait", "Resume an operation and wait for its end; the result goes to stdout as it came");
  wait->footer(std::string("Examples:\n"
                           "  lro wait \"$token\" --bearer \"$TOKEN\"\n"
                           "  lro wait @op.json\n"
                           "  lro wait https://api.fabric.microsoft.com/v1/operations/ID\n\n") +
               kExitCodesHelp);
  AddTargetArgument(*wait, args.target);
  AddCommonOptions(*wait, args.common);

  CLI::App* status = app.add_subcommand(
      "status", "Poll once and print the operation's state on stdout (JSON with --json)");
  status->footer(kExitCodesHelp);
  AddTargetArgument(*status, args.target);
  AddCommonOptions(*status, args.common);

  CLI::App* result = app.add_subcommand(
      "result",
      "Poll once; print the result on stdout if the operation succeeded (exit 6 while it runs)");
  result->footer(kExitCodesHelp);
  AddTargetArgument(*result, args.target);
  AddCommonOptions(*result, args.common);

  CLI::App* cancel = app.add_subcommand(
      "cancel", "Ask the service to cancel the operation (best effort), and print its state");
  cancel->footer(kExitCodesHelp);
  AddTargetArgument(*cancel, args.target);
  cancel->add_flag("--wait", args.target.wait,
                   "Then wait for the operation's end (exit 3 once it is canceled)");
  AddCommonOptions(*cancel, args.common);

  // CLI11 would only say "A subcommand is required"; name the word it did not know.
  const auto is_command = [&app](const char* word) {
    for (const CLI::App* command : app.get_subcommands({})) {
      if (command->check_name(word)) return true;
    }
    return false;
  };
  if (argc > 1 && argv[1][0] != '-' && !is_command(argv[1])) {
    std::fprintf(stderr,
                 "lro: unknown command '%s' (commands: start, wait, status, result, cancel)\n"
                 "Run with --help for more information.\n",
                 argv[1]);
    return ToInt(ExitCode::kUsage);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    static_cast<void>(app.exit(e));
    return ToInt(ExitCode::kUsage);
  }

  if (start->parsed()) {
    args.command = Command::kStart;
    args.start.method = Upper(args.start.method);
    if (args.start.method.empty()) {
      std::fputs("lro: -X needs a method\n", stderr);
      return ToInt(ExitCode::kUsage);
    }
  } else if (wait->parsed()) {
    args.command = Command::kWait;
  } else if (status->parsed()) {
    args.command = Command::kStatus;
  } else if (result->parsed()) {
    args.command = Command::kResult;
  } else {
    args.command = Command::kCancel;
  }
  return args;
}

}  // namespace lro::cli
