-- GET one public report (with its timeline) picked at random among a thousand.
package.path = "bench/wrk/?.lua;" .. package.path
local common = require("common")
local thread = common.each_thread("report_ids.txt")

function request()
  return wrk.format("GET", "/api/v1/reports/" .. common.pick(thread.lines))
end
