-- Many families (bench/many.py): each request a random member's all-lists page or one of its list
-- frames (the index one time in nine, as a browser loads the index and 8 frames), with their
-- session cookie; a share of them (the second argument, 0.05) instead a purchase through the API
-- of a gift on the next member's list, or its undo when this thread bought it last. The first
-- argument is the file of members: "<page>\t<cookie>\t<API token>\t<gift id>\t<frame>,<frame>…".
local members, bought = {}, {}
local share = 0.05
issued, pages = 0, 0
-- Answers that are not a success. A 409 is the product refusing a purchase of a gift someone
-- finished buying first (the bench picks gifts at random and toggles buy and undo blindly): its
-- right answer, counted apart. Any other 4xx or 5xx is a failure, as is no answer at all.
conflicts, failures = 0, 0

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  for line in io.lines(args[1]) do
    local path, cookie, token, gift, list = string.match(line, "^([^\t]+)\t([^\t]+)\t([^\t]+)\t(%d+)\t(.+)$")
    local frames = {}
    for frame in string.gmatch(list, "[^,]+") do
      frames[#frames + 1] = frame
    end
    members[#members + 1] = {path = path, cookie = cookie, token = token, gift = gift, frames = frames}
  end
  share = tonumber(args[2])
  math.randomseed(os.time() + #threads)
end

function request()
  local member = members[math.random(#members)]
  issued = issued + 1
  if math.random() < share then
    local method = bought[member.gift] and "DELETE" or "POST"
    bought[member.gift] = not bought[member.gift]
    return wrk.format(method, "/api/v1/gifts/" .. member.gift .. "/purchase",
      {["Authorization"] = "Bearer " .. member.token})
  end
  pages = pages + 1
  local pick = math.random(#member.frames + 1)
  local path = pick > #member.frames and member.path or member.frames[pick]
  return wrk.format("GET", path, {["Cookie"] = member.cookie})
end

function response(status, headers, body)
  if status == 409 then
    conflicts = conflicts + 1
  elseif status >= 400 then
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local all, page, conflict, failed = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    all = all + thread:get("issued")
    page = page + thread:get("pages")
    conflict = conflict + thread:get("conflicts")
    failed = failed + thread:get("failures")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "pages": %.1f, "seconds": %.3f, "errors": %d, "conflicts": %d, "p50": %.2f, "p95": %.2f, "p99": %.2f}\n',
    summary.requests, all > 0 and summary.requests * page / all or 0, summary.duration / 1e6,
    e.connect + e.read + e.write + e.timeout + failed, conflict,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
