// Starts an operation, waits at most a few seconds, then asks the service to cancel it.
//   cancel URL [SECONDS]
#include <chrono>
#include <iostream>
#include <string>

#include "lro/client.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: cancel URL [SECONDS]\n";
    return 2;
  }
  lro::Client client;
  lro::Poller poller = client.Start(lro::Request::Post(argv[1]).Json("{}"));
  lro::WaitOptions patience;
  patience.timeout = std::chrono::seconds(argc > 2 ? std::stoi(argv[2]) : 3);
  lro::StatusOr<lro::Result> result = poller.Wait(patience);
  if (result.ok()) {
    std::cout << "finished in time: " << result->body << "\n";
    return 0;
  }
  if (result.status().code() != lro::StatusCode::kDeadlineExceeded) {
    std::cerr << result.status().ToString() << "\n";
    return 1;
  }
  if (lro::Status cancel = poller.Cancel(); !cancel.ok()) {
    std::cerr << "cancel refused: " << cancel.ToString() << "\n";
    return 1;
  }
  // The service decides: the operation may still finish before the cancel lands.
  result = poller.Wait();
  std::cout << (result.ok() ? "finished anyway" : result.status().ToString()) << "\n";
  return 0;
}
