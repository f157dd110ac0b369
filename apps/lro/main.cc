// lro: start, watch and resume HTTP long-running operations from a shell. See docs/cli.md.
#include <variant>

#include "arguments.h"
#include "commands.h"

int main(int argc, char** argv) {
  auto parsed = lro::cli::ParseArguments(argc, argv);
  if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  return lro::cli::RunCommand(std::get<lro::cli::Arguments>(parsed));
}
