// Starts an operation and waits for its result.
//   start_and_wait URL [JSON_BODY]
// POSTs the body (default {}) to URL, follows the operation to its end, prints the result.
#include <cstdio>
#include <iostream>
#include <string>

#include "lro/client.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: start_and_wait URL [JSON_BODY]\n";
    return 2;
  }
  lro::Client client;
  lro::Poller poller = client.Start(lro::Request::Post(argv[1]).Json(argc > 2 ? argv[2] : "{}"));
  lro::StatusOr<lro::Result> result = poller.Wait();
  if (!result.ok()) {
    std::cerr << "failed: " << result.status().ToString() << "\n";
    return 1;
  }
  if (result->has_value) std::fwrite(result->body.data(), 1, result->body.size(), stdout);
  std::cout << "\n";
  return 0;
}
