export interface Stats {
  median: number;
  p95: number;
}

/** Nearest-rank percentiles: every figure reported is a latency that was really observed. */
export function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
  return { median: at(0.5), p95: at(0.95) };
}
