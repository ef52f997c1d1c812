-- Print the figures bench/web.py reads: p50, p95, p99 latency (ms) and requests per second.
done = function(summary, latency, requests)
  io.write(string.format("RESULT p50=%.2f p95=%.2f p99=%.2f rps=%.1f errors=%d non2xx=%d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
