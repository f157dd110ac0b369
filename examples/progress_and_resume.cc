// Starts an operation, shows its progress, and hands it over through a resume token, as a
// program that must survive a restart would.
//   progress_and_resume URL
#include <iostream>
#include <string>

#include "lro/client.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: progress_and_resume URL\n";
    return 2;
  }
  std::string token;
  {
    lro::Client client;
    lro::Poller poller = client.Start(lro::Request::Post(argv[1]).Json("{}"));
    if (poller.IsDone() && !poller.Outcome().ok()) {
      std::cerr << "start failed: " << poller.Outcome().status().ToString() << "\n";
      return 1;
    }
    // Save this anywhere (a file, a database): it holds no credential.
    token = poller.ResumeToken().value();
  }

  lro::Client later;  // e.g. after a restart
  lro::StatusOr<lro::Poller> resumed = later.Resume(token);
  if (!resumed.ok()) {
    std::cerr << resumed.status().ToString() << "\n";
    return 1;
  }
  resumed->OnProgress([](const lro::OperationState& state) {
    std::cerr << state.status.raw;
    if (state.percent_complete) std::cerr << " " << *state.percent_complete << "%";
    std::cerr << "\n";
  });
  lro::StatusOr<lro::Result> result = resumed->Wait();
  if (!result.ok()) {
    std::cerr << result.status().ToString() << "\n";
    return 1;
  }
  std::cout << result->body << "\n";
  return 0;
}
