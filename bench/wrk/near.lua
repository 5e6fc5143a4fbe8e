-- GET the public reports within 500 m of a random commune centre, nearest first.
package.path = "bench/wrk/?.lua;" .. package.path
local common = require("common")
local thread = common.each_thread("centers.txt")

function request()
  local lat, lon = common.center(thread)
  return wrk.format("GET", string.format("/api/v1/reports?near=%.6f,%.6f&radius_m=500", lat, lon))
end
