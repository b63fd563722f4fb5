-- Buy then undo, through the API, each of the gifts given as the script's argument ("12,13,…").
-- All the gifts are bought, then all undone, and so on: with more gifts than connections, a gift's
-- next request is made only after its previous one was answered, so no request is refused.
dofile("bench/wrk/report.lua")

local gifts, step = {}, 0

function init(args)
  for id in string.gmatch(args[1], "%d+") do
    gifts[#gifts + 1] = id
  end
end

function request()
  local n = #gifts
  local method = (math.floor(step / n) % 2 == 0) and "POST" or "DELETE"
  local gift = gifts[(step % n) + 1]
  step = step + 1
  return wrk.format(method, "/api/v1/gifts/" .. gift .. "/purchase")
end
