-- Buy then undo, through the API, each of the gifts given as the script's argument ("12,13,…"),
-- over and over. A gift is asked for again only once its last request was answered (the answer
-- names the gift: "id":N comes first), so no request is refused for racing its own undo,
-- however slow one answer is.
dofile("bench/wrk/report.lua")

local gifts, bought, waiting, last = {}, {}, {}, 0

function init(args)
  for id in string.gmatch(args[1], "%d+") do
    gifts[#gifts + 1] = id
  end
end

function request()
  for _ = 1, #gifts do
    last = last % #gifts + 1
    local gift = gifts[last]
    if not waiting[gift] then
      waiting[gift] = true
      local method = bought[gift] and "DELETE" or "POST"
      bought[gift] = not bought[gift]
      return wrk.format(method, "/api/v1/gifts/" .. gift .. "/purchase")
    end
  end
  error("every gift is waiting for an answer: give more gifts than connections")
end

function response(status, headers, body)
  local gift = string.match(body, '^{"id":(%d+)')
  if gift then
    waiting[gift] = nil
  end
end
