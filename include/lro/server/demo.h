// The demo service lrod mounts with --demo: Fabric-like workspaces and items.
//
//   POST /v1/workspaces/{ws}/items   {"displayName": "nb", "type": "Notebook",
//                                     "description": "…",          (optional)
//                                     "demo": {"durationMs": 3000,  (0 = finish at once)
//                                              "progressSteps": 4,
//                                              "failWith": {"errorCode": "…", "message": "…"},
//                                              "noResult": true}}  (all optional)
//     → 201 with the item when creation finishes within the inline budget, else 202 and an
//       operation of type "Item.Create" whose result is the item.
//   GET  /v1/workspaces/{ws}/items/{id} → 200 with the item, or 404.
//
// Items live in memory (the operations and their results are durable). An item's id is the id of
// the operation that created it. Item creation is declared idempotent: after a crash it is
// re-run from the start, and creates the same item.
//
// With an effects file, creating an item is also an effect outside lrod that must happen once
// per operation: the operation's id is appended to the file (one line, fsynced, under an
// exclusive flock so that replicas on one machine share it), unless it is there already — a
// re-run after a takeover finds it and does not append it again. Tests count the lines.
#pragma once

#include <chrono>
#include <string>

#include "lro/server/server.h"

namespace lro::server {

struct DemoOptions {
  // Without a "demo" object: how long creation takes, and its progress steps.
  std::chrono::milliseconds default_duration{0};
  int default_progress_steps = 4;
  // Where item creations are recorded once per operation (see above); empty: nowhere.
  std::string effects_file;
};

// Adds the demo routes. REQUIRES: before server.Start().
void RegisterDemoService(Server& server, const DemoOptions& options = {});

}  // namespace lro::server
