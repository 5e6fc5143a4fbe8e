-- POST a report at a random commune centre, each with its own Idempotency-Key.
package.path = "bench/wrk/?.lua;" .. package.path
local common = require("common")
local thread = common.each_thread("centers.txt")
local headers = common.bearer("BENCH_CITIZEN_TOKEN")
headers["Content-Type"] = "application/json"
local sent = 0

function request()
  sent = sent + 1
  local lat, lon = common.center(thread)
  headers["Idempotency-Key"] = string.format("bench-%d-%d-%d-%d", os.time(), tid, sent, math.random(1e9))
  local body = string.format('{"category":"waste","description":"Rác thải đổ bừa bãi ở đầu hẻm.",'
    .. '"position":{"lat":%.6f,"lon":%.6f}}', lat, lon)
  return wrk.format("POST", "/api/v1/reports", headers, body)
end
