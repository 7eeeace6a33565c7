-- wrk script: each connection waits PACE_MS (environment) between requests, so N connections send about
-- N * 1000 / PACE_MS requests/s (a little less, since the wait follows each response).
local pace = tonumber(os.getenv("PACE_MS") or "20")

function delay()
    return pace
end
