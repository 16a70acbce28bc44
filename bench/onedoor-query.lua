-- The peer's read on onedoor: the first 20 matters of the city centre with their unit names.
dofile("common.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"query Q($c:String!){matters(centre:$c,first:20){edges{node{id code name guide{promisedDays} ownerUnit{id name}}}}}","variables":{"c":"pingliang"}}'
