-- GET the first page of a busy commune office's inbox, as its official.
package.path = "bench/wrk/?.lua;" .. package.path
local common = require("common")
local headers = common.bearer("BENCH_OFFICIAL_TOKEN")

function request()
  return wrk.format("GET", "/api/v1/admin/reports", headers)
end
