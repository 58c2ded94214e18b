-- wrk: a preflight (OPTIONS with Origin, Access-Control-Request-Method and -Headers).
wrk.method = "OPTIONS"
wrk.headers["Origin"] = os.getenv("BENCH_ORIGIN") or "https://app.example.com"
wrk.headers["Access-Control-Request-Method"] = "PUT"
wrk.headers["Access-Control-Request-Headers"] = "content-type, x-requested-with"
