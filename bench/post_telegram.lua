-- wrk script: Telegram webhook updates, each with a fresh update_id (the provider's
-- message id) and one of 5,000 chats, counting 200 answers per thread.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  ok, other = 0, 0
end

function request()
  counter = counter + 1
  local update = id * 100000000 + counter
  local chat = 1000000 + (update % 5000)
  local body = '{"update_id":' .. update .. ',"message":{"message_id":' .. counter ..
    ',"date":1764400000,"text":"hi","from":{"id":' .. chat .. ',"first_name":"A"},' ..
    '"chat":{"id":' .. chat .. ',"type":"private"}}}'
  return wrk.format("POST", "/hooks/telegram/demo/",
    {["Content-Type"] = "application/json",
     ["X-Telegram-Bot-Api-Secret-Token"] = "demo-secret-token"}, body)
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local c, o = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("ok")
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
