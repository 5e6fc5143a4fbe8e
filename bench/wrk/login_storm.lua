-- POST log-ins of random seeded citizens (each a real password check).
package.path = "bench/wrk/?.lua;" .. package.path
local common = require("common")
common.each_thread(nil)
local citizens = tonumber(os.getenv("BENCH_CITIZENS"))
local headers = { ["Content-Type"] = "application/json" }

function request()
  local phone = string.format("09%08d", 10000000 + math.random(citizens))
  local body = '{"login":"' .. phone .. '","password":"' .. os.getenv("BENCH_PASSWORD") .. '"}'
  return wrk.format("POST", "/api/v1/auth/login", headers, body)
end
