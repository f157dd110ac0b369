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
// Items live in memory (the operations and their results are durable). Item creation is
// declared idempotent: after a crash it is re-run from the start.
#pragma once

#include <chrono>

#include "lro/server/server.h"

namespace lro::server {

struct DemoOptions {
  // Without a "demo" object: how long creation takes, and its progress steps.
  std::chrono::milliseconds default_duration{0};
  int default_progress_steps = 4;
};

// Adds the demo routes. REQUIRES: before server.Start().
void RegisterDemoService(Server& server, DemoOptions options = {});

}  // namespace lro::server
