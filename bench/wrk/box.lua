-- GET the public reports in a map box of about 1 km around a random commune centre, newest first.
package.path = "bench/wrk/?.lua;" .. package.path
local common = require("common")
local thread = common.each_thread("centers.txt")

function request()
  local lat, lon = common.center(thread)
  local bbox = string.format("%.5f,%.5f,%.5f,%.5f", lon - 0.005, lat - 0.005, lon + 0.005, lat + 0.005)
  return wrk.format("GET", "/api/v1/reports?bbox=" .. bbox)
end
