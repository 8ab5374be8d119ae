import { Counter, Histogram, type Registry } from 'prom-client';
import { createRegistry } from '@crypto-anomaly/common';

/**
 * The sidecar's Prometheus metrics, on its own Registry (never prom-client's global one, so tests
 * can run several servers in one process). Names are prefixed `udf_`.
 */
export class UdfMetrics {
  readonly registry: Registry;
  /** Wall time to answer one ScoreBundle call: decode, validate, score, encode. */
  readonly bundleSeconds: Histogram<'outcome'>;
  /** Wall time of one window inside a bundle: state load, features, scoring, state save. */
  readonly windowSeconds: Histogram<'interval'>;
  readonly bundleWindows: Histogram;
  readonly windowsScored: Counter<'interval' | 'outcome'>;
  readonly anomalies: Counter<'interval' | 'type' | 'feature'>;
  readonly errors: Counter<'code' | 'reason'>;
  readonly stateBytes: Histogram;
  readonly stateResets: Counter<'kind'>;

  constructor(registry: Registry = createRegistry('udf-server')) {
    this.registry = registry;
    const r = [registry];
    this.bundleSeconds = new Histogram({
      name: 'udf_bundle_seconds',
      help: 'Time to answer one ScoreBundle call (decode, validate, score, encode), by outcome (ok, invalid, error)',
      labelNames: ['outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: r,
    });
    this.windowSeconds = new Histogram({
      name: 'udf_window_seconds',
      help: 'Time to score one window (state load, features, detectors, state save), by interval',
      labelNames: ['interval'],
      buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01],
      registers: r,
    });
    this.bundleWindows = new Histogram({
      name: 'udf_bundle_windows',
      help: 'Windows per ScoreBundle request',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers: r,
    });
    this.windowsScored = new Counter({
      name: 'udf_windows_total',
      help: 'Windows answered, by interval and outcome (scored, empty = no trades, not scored)',
      labelNames: ['interval', 'outcome'],
      registers: r,
    });
    this.anomalies = new Counter({
      name: 'udf_anomalies_total',
      help: 'Windows judged anomalous, by interval, anomaly type and the feature of the strongest reason',
      labelNames: ['interval', 'type', 'feature'],
      registers: r,
    });
    this.errors = new Counter({
      name: 'udf_errors_total',
      help: 'ScoreBundle calls answered with an error, by gRPC status code name and validation reason',
      labelNames: ['code', 'reason'],
      registers: r,
    });
    this.stateBytes = new Histogram({
      name: 'udf_state_bytes',
      help: 'Size of each key state blob returned',
      buckets: [64, 256, 512, 1024, 1536, 2048, 4096, 8192, 16384, 65536],
      registers: r,
    });
    this.stateResets = new Counter({
      name: 'udf_state_resets_total',
      help: 'Key states that could not be read (version or config skew) and restarted cold',
      labelNames: ['kind'],
      registers: r,
    });
  }
}
