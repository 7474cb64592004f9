-- wrk script of run.py: sends the credential header named in the environment on every request, and prints
-- one machine-readable line with the run's totals and latency percentiles when the run ends.
--   BENCH_HEADER  the header's name (`Authorization`, `X-Aws-Parameters-Secrets-Token`)
--   BENCH_VALUE   its value

wrk.headers[os.getenv("BENCH_HEADER")] = os.getenv("BENCH_VALUE")

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "RESULT {\"requests\":%d,\"duration_us\":%d,\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d,\"max_us\":%d," ..
      "\"non_2xx\":%d,\"socket_errors\":%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
