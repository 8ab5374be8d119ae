/**
 * Median of a[0..k) by quickselect (Hoare partition, median-of-three pivot), reordering a[0..k)
 * in place and allocating nothing. O(k) on average instead of an insertion sort's O(k^2): the
 * MAD and activity detectors take two medians per feature per window over 32 values, and this
 * was the largest single item of the scoring profile (decision 064). The result is the exact
 * median (the mean of the two middle values for even k), identical to sorting.
 */
export function medianInPlace(a: Float64Array, k: number): number {
  if (k <= 0) return NaN;
  const h = k >> 1;
  const upper = select(a, 0, k - 1, h);
  if (k % 2 === 1) return upper;
  // After selecting h, a[0..h) holds the h smallest values: the lower middle is their maximum.
  let lower = a[0]!;
  for (let i = 1; i < h; i++) if (a[i]! > lower) lower = a[i]!;
  return (lower + upper) / 2;
}

/** Places the n-th smallest of a[lo..hi] at a[n] (smaller ones before, larger after) and returns it. */
function select(a: Float64Array, lo: number, hi: number, n: number): number {
  while (hi > lo) {
    if (hi - lo < 12) {
      // Small ranges: insertion sort is faster than partitioning.
      for (let i = lo + 1; i <= hi; i++) {
        const v = a[i]!;
        let j = i - 1;
        while (j >= lo && a[j]! > v) {
          a[j + 1] = a[j]!;
          j--;
        }
        a[j + 1] = v;
      }
      return a[n]!;
    }
    const mid = (lo + hi) >> 1;
    // Median of three as the pivot, moved to a[lo].
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    swap(a, lo, mid);
    const pivot = a[lo]!;
    let i = lo;
    let j = hi + 1;
    for (;;) {
      do i++; while (i <= hi && a[i]! < pivot);
      do j--; while (a[j]! > pivot);
      if (i >= j) break;
      swap(a, i, j);
    }
    swap(a, lo, j);
    if (j === n) return a[n]!;
    if (j > n) hi = j - 1;
    else lo = j + 1;
  }
  return a[n]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * The same median as `medianInPlace` (the mean of the two middle values for even k), by a
 * three-way quickselect whose partition loop has no data-dependent branch: every value is written
 * to both sides and the side counters advance by the comparison results, so a window of noisy
 * values costs no branch mispredictions in the loop (the MAD detector's profile was dominated by
 * them). Values equal to the pivot are counted, not kept, so the result is bit-identical to
 * `medianInPlace` only when equal values are bitwise identical: no NaN and no mix of -0 and +0
 * in a[0..k) (the caller checks). Clobbers a[0..k) and t[0..k) (t: scratch, length >= k).
 */
export function medianBranchless(a: Float64Array, t: Float64Array, k: number): number {
  if (k <= 0) return NaN;
  let src = a;
  let dst = t;
  let m = k;
  let n = k >> 1;
  // Largest value below the current range src[0..m) (every value dropped below it is <= it).
  let below = -Infinity;
  for (;;) {
    let p = src[0]!;
    if (m >= 3) {
      const x = p;
      const y = src[m >> 1]!;
      const z = src[m - 1]!;
      p = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    }
    let lt = 0;
    let gt = 0;
    for (let i = 0; i < m; i++) {
      const v = src[i]!;
      src[lt] = v; // lt <= i: overwrites a value already read
      dst[gt] = v;
      lt += +(v < p);
      gt += +(v > p);
    }
    if (n < lt) {
      m = lt;
      continue;
    }
    const le = m - gt;
    if (n < le) {
      // p is the n-th value of this range (rank k >> 1 overall).
      if (k % 2 === 1) return p;
      let lower: number;
      if (n > lt) lower = p; // rank k/2 - 1 is a copy of p
      else if (lt > 0) {
        lower = src[0]!;
        for (let i = 1; i < lt; i++) if (src[i]! > lower) lower = src[i]!;
      } else lower = below;
      return (lower + p) / 2;
    }
    below = p;
    n -= le;
    m = gt;
    const s = src;
    src = dst;
    dst = s;
  }
}
