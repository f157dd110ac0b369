// Peer benchmark: @azure/core-lro drives N operations at once against lro_bench_server, through
// its public API only (createHttpPoller with our own sendInitialRequest / sendPollRequest over
// node:http), the way an SDK built on core-lro does it. One Node process, one event loop.
//
//   node drive.mjs --url URL --count N [--method POST] [--body JSON] [--max-sockets 64]
//                  [--timeout-ms 120000]
//
// The i-th operation starts at URL/<i>. Last line of output, as lro_load prints it:
//   {"succeeded":S,"failed":F,"elapsed_ms":E,"requests":R}
// plus "finished":false (exit status 3) when the timeout ends the run first.
import http from "node:http";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createHttpPoller } from "@azure/core-lro";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    count: { type: "string" },
    method: { type: "string", default: "POST" },
    body: { type: "string", default: "{}" },
    "max-sockets": { type: "string", default: "64" },
    "timeout-ms": { type: "string", default: "120000" },
  },
});
const count = Number(args.count);
if (!args.url || !Number.isInteger(count) || count <= 0) {
  console.error("usage: node drive.mjs --url URL --count N [--method M] [--body JSON] " +
    "[--max-sockets S] [--timeout-ms T]");
  process.exit(2);
}
const base = args.url.replace(/\/+$/, "");
const body = Buffer.from(args.body);
// Keep-alive, and the same per-host connection cap as lro's engine and the libcurl floor.
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(args["max-sockets"]) });

let requests = 0;
let succeeded = 0;
let failed = 0;

// One HTTP exchange, returned in the shape core-lro reads (OperationResponse / RawResponse).
function send(method, url, payload) {
  requests++;
  return new Promise((resolve, reject) => {
    const headers = { accept: "application/json" };
    if (payload !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = payload.length;
    }
    const request = http.request(url, { method, agent, headers }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed;
        try {
          parsed = text.length > 0 ? JSON.parse(text) : undefined;
        } catch (error) {
          reject(error);
          return;
        }
        resolve({
          flatResponse: parsed,
          rawResponse: {
            statusCode: response.statusCode,
            request: { method, url },
            headers: response.headers, // node lower-cases names, as core-lro expects
            body: parsed,
          },
        });
      });
    });
    request.on("error", reject);
    request.end(payload);
  });
}

async function runOperation(i) {
  const poller = createHttpPoller(
    {
      sendInitialRequest: () => send(args.method, `${base}/${i}`, body),
      sendPollRequest: (path) => send("GET", path),
    },
    { intervalInMs: 0 },
  );
  try {
    await poller.pollUntilDone();
    succeeded++;
  } catch (error) {
    if (++failed <= 5) console.error(`operation ${i} failed: ${error?.message ?? error}`);
  }
}

function report(extra = {}) {
  const elapsed = Math.round((performance.now() - started) * 10) / 10;
  console.log(JSON.stringify({ succeeded, failed, elapsed_ms: elapsed, requests, ...extra }));
}

const started = performance.now();
const timeout = setTimeout(() => {
  report({ finished: false });
  process.exit(3);
}, Number(args["timeout-ms"]));
const operations = [];
for (let i = 0; i < count; i++) operations.push(runOperation(i));
await Promise.all(operations);
clearTimeout(timeout);
report();
agent.destroy();
process.exitCode = failed === 0 ? 0 : 1;
