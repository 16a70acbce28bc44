-- The peer's write on onedoor: add a matter with a unique code per request, as the city admin
-- (@TOKEN@ and @UNIT@ are filled in by bench/api.sh).
dofile("common.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer @TOKEN@"
local counter = 0
tid = 0
local stamp = tostring(os.time())
request = function()
  counter = counter + 1
  local code = "B-" .. stamp .. "-" .. tostring(tid) .. "-" .. tostring(counter)
  local body = '{"query":"mutation M($i:AddMatterInput!){addMatter(input:$i){matter{id code} userErrors{message}}}",' ..
    '"variables":{"i":{"guide":{"code":"' .. code .. '","name":"Bench matter ' .. code .. '",' ..
    '"matterType":"LICENCE","ownerUnit":"@UNIT@","handlingLevel":"CITY","legalBasis":"bench",' ..
    '"statutoryDays":30,"promisedDays":30,"modes":["ONE_VISIT"],"delivery":["PICKUP"]}}}}'
  return wrk.format("POST", nil, nil, body)
end
-- A refused mutation answers 200 with userErrors: count it as bad too.
response = function(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) or string.find(body, '"message"', 1, true) then
    bad = bad + 1
  end
end
