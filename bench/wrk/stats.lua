-- GET the IOC's figures of Lâm Đồng (68) for the year, as an administrator.
package.path = "bench/wrk/?.lua;" .. package.path
local common = require("common")
local headers = common.bearer("BENCH_ADMIN_TOKEN")

function request()
  return wrk.format("GET", "/api/v1/admin/stats?province=68&from=2026-01-01&to=2026-12-31", headers)
end
