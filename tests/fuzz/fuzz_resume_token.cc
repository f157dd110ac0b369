// Resume tokens come from users' files: any input resumes or is refused with
// kInvalidArgument, never crashes.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "lro/client.h"
#include "lro/testing/fake_clock.h"
#include "lro/testing/scripted_transport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  lro::ClientOptions options;
  options.transport = std::make_shared<lro::testing::ScriptedTransport>();
  options.clock = std::make_shared<lro::testing::FakeClock>();
  options.random_seed = 1;
  lro::Client client(options);
  auto poller = client.Resume(token);
  if (!poller.ok() && poller.status().code() != lro::StatusCode::kInvalidArgument) std::abort();
  if (poller.ok()) {
    (void)poller->Wait();  // the empty script fails every request: must end, not spin
    (void)poller->ResumeToken();
  }
  return 0;
}
