-- wrk script: durable creates. Every request creates a demo item; counts answers by status.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("LROD_BODY") or
  '{"displayName":"bench","type":"Notebook","demo":{"durationMs":0,"progressSteps":0}}'

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  accepted = 0
  other = 0
end

function response(status, headers, body)
  if status == 202 then accepted = accepted + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local a, o = 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted")
    o = o + t:get("other")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("202 answers: %d (%.0f/s), other answers: %d, errors: %d\n",
    a, a / seconds, o, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.status + summary.errors.timeout))
end
