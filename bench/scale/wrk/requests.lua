-- wrk script of the scale bench: replays the requests of a file, counts the answers it expects.
--
--   wrk -t2 -c8 -d10s -s requests.lua http://127.0.0.1:PORT -- requests.tsv 200,302
--
-- One request per line: METHOD <tab> PATH <tab> COOKIE <tab> CONTENT-TYPE <tab> BODY (url-encoded).
-- Each thread starts at another line and goes round. done() prints one line "WRKJSON {...}".

local threads = {}
local counter = 1

function setup(thread)
   thread:set("offset", #threads * 7919)
   table.insert(threads, thread)
end

function init(args)
   requests_ = {}
   expected = {}
   ok = 0
   bad = 0
   bad_statuses = ""
   for code in string.gmatch(args[2] or "200", "[^,]+") do
      expected[tonumber(code)] = true
   end
   for line in io.lines(args[1]) do
      local method, path, cookie, ctype, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {}
      if cookie ~= "" then headers["Cookie"] = cookie end
      if ctype ~= "" then headers["Content-Type"] = ctype end
      if body == "" then body = nil end
      table.insert(requests_, wrk.format(method, path, headers, body))
   end
   counter = (offset or 0) % #requests_ + 1
end

function request()
   counter = counter % #requests_ + 1
   return requests_[counter]
end

function response(status, headers, body)
   if expected[status] then
      ok = ok + 1
   else
      bad = bad + 1
      if #bad_statuses < 60 then bad_statuses = bad_statuses .. status .. " " end
   end
end

function done(summary, latency, requests)
   local total_ok, total_bad, statuses = 0, 0, ""
   for _, thread in ipairs(threads) do
      total_ok = total_ok + thread:get("ok")
      total_bad = total_bad + thread:get("bad")
      statuses = statuses .. thread:get("bad_statuses")
   end
   local e = summary.errors
   io.write(string.format(
      'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, ' ..
      '"ok": %d, "bad": %d, "bad_statuses": "%s", "connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
      latency.max, total_ok, total_bad, statuses, e.connect, e.read, e.write, e.timeout))
end
