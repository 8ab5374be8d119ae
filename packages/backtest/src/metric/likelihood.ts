/**
 * Numenta's "anomaly likelihood" in streaming form: the mean of the last `shortWindow` raw
 * scores, compared with the long-run distribution of that mean (an exponentially weighted
 * Gaussian with memory `longMemory` steps). tail() is the upper-tail probability of the current
 * mean under that distribution: 1 = ordinary, 1e-6 = a mean this high is very rare for this
 * series. Scoring reads the distribution learned before this step (score, then learn).
 */
export class AnomalyLikelihood {
  private readonly ring: Float64Array;
  private filled = 0;
  private pos = 0;
  private sum = 0;
  private mean = 0;
  private variance = 0;
  private seen = 0;

  constructor(
    private readonly shortWindow: number,
    private readonly longMemory: number,
    /** Steps of the mean seen before tail() says anything but 1. */
    private readonly warmUp: number,
  ) {
    this.ring = new Float64Array(shortWindow);
  }

  /** Push a raw score; returns the upper-tail probability of the new short mean. */
  update(raw: number): number {
    if (this.filled === this.shortWindow) this.sum -= this.ring[this.pos]!;
    else this.filled++;
    this.ring[this.pos] = raw;
    this.sum += raw;
    this.pos = (this.pos + 1) % this.shortWindow;
    const avg = this.sum / this.filled;
    let tail = 1;
    if (this.seen >= this.warmUp) {
      // A floor on the spread keeps a series that has been perfectly quiet from turning its
      // first wiggle into a certainty.
      const sd = Math.sqrt(Math.max(this.variance, 1e-4 * (1 + this.mean * this.mean)));
      tail = upperTail((avg - this.mean) / sd);
    }
    this.seen++;
    const alpha = 1 / Math.min(this.seen, this.longMemory);
    const delta = avg - this.mean;
    this.mean += alpha * delta;
    this.variance = (1 - alpha) * (this.variance + alpha * delta * delta);
    return tail;
  }
}

/**
 * P(Z > z) for a standard normal Z, via the Chebyshev-fitted erfc of Numerical Recipes (erfcc):
 * relative error below 1.2e-7 everywhere, so the far tail (1e-12 and beyond) stays ordered.
 */
export function upperTail(z: number): number {
  if (Number.isNaN(z)) return 1;
  if (z < 0) return 1 - upperTail(-z);
  if (z > 37) return 0;
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const y = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return y / 2;
}
