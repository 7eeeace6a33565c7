-- wrk script for bench/anonymous-load.sh: anonymous traffic at a steady rate, in turn GET /readyz,
-- GET /metrics and GET /v1/worklist with a bearer token that does not verify. Each connection waits
-- PACE_MS (environment) between requests, so N connections send about N * 1000 / PACE_MS requests/s.
local pace = tonumber(os.getenv("PACE_MS") or "20")
local requests = {
    wrk.format("GET", "/readyz"),
    wrk.format("GET", "/metrics"),
    wrk.format("GET", "/v1/worklist", { ["Authorization"] = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad" }),
}
local turn = 0

function request()
    turn = turn % #requests + 1
    return requests[turn]
end

function delay()
    return pace
end
