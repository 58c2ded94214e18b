-- wrk: an actual CORS request (GET with an allowed Origin).
wrk.method = "GET"
wrk.headers["Origin"] = os.getenv("BENCH_ORIGIN") or "https://app.example.com"
