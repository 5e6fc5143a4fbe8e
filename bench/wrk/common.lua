-- Shared by the scenarios: per-thread random numbers, the fixtures bench/run.py writes, JSON headers.
local common = {}

local threads = 0

-- Numbers the wrk threads (`tid`); each then seeds its own random numbers and reads `fixture` (a file in
-- BENCH_WORK, one item a line) into the returned table's `lines`.
function common.each_thread(fixture)
  local thread = { lines = {} }
  function setup(t)
    threads = threads + 1
    t:set("tid", threads)
  end
  function init()
    math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
    if fixture then
      for line in io.lines(os.getenv("BENCH_WORK") .. "/" .. fixture) do
        thread.lines[#thread.lines + 1] = line
      end
    end
  end
  return thread
end

function common.pick(list)
  return list[math.random(#list)]
end

-- A random commune centre from centers.txt, as two numbers.
function common.center(thread)
  local lat, lon = common.pick(thread.lines):match("([^,]+),([^,]+)")
  return tonumber(lat), tonumber(lon)
end

function common.bearer(variable)
  return { ["Authorization"] = "Bearer " .. os.getenv(variable), ["Accept-Language"] = "vi" }
end

return common
