-- POST a 1280×960 JPEG photo (bench/photo.jpg) as a multipart upload.
package.path = "bench/wrk/?.lua;" .. package.path
local common = require("common")
local boundary = "congdanso-bench-boundary"
local headers, body

function init()
  local file = assert(io.open("bench/photo.jpg", "rb"))
  local photo = file:read("*a")
  file:close()
  body = "--" .. boundary .. "\r\n"
    .. 'Content-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
    .. "Content-Type: image/jpeg\r\n\r\n" .. photo .. "\r\n--" .. boundary .. "--\r\n"
  headers = common.bearer("BENCH_CITIZEN_TOKEN")
  headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
end

function request()
  return wrk.format("POST", "/api/v1/media", headers, body)
end
