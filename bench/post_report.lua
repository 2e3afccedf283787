-- wrk script: POST /api/v1/reports with a fresh Idempotency-Key per request, counting
-- answers by status so the bench can compare 201s with rows in the database.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  created, other = 0, 0
end

local body = '{"reporter":"child","age_band":"13_15","language":"en",' ..
  '"categories":["sextortion"],"details":"Someone says he will share my photos unless I pay.",' ..
  '"urls":["https://social.example/u/someone"],"safe_now":true,"contact":{"kind":"none"}}'

function request()
  counter = counter + 1
  return wrk.format("POST", "/api/v1/reports",
    {["Content-Type"] = "application/json", ["Idempotency-Key"] = id .. "-" .. counter}, body)
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local c, o = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
  end
  io.write(string.format(
    'RESULT {"created": %d, "other": %d, "requests": %d, "duration_us": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "errors_connect": %d, "errors_timeout": %d, ' ..
    '"errors_status": %d}\n',
    c, o, summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), summary.errors.connect, summary.errors.timeout,
    summary.errors.status))
end
