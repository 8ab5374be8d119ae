import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createRegistry } from '@crypto-anomaly/common';
import { CONNECTION_STATES, type ConnectionState } from './connection.js';

/** The producer's Prometheus metrics, on a registry of its own (one per producer instance). */
export class ProducerMetrics {
  readonly registry: Registry;
  readonly messagesIn: Counter<'symbol' | 'kind'>;
  readonly messagesOut: Counter<'symbol' | 'kind'>;
  readonly duplicatesDropped: Counter<'symbol' | 'kind'>;
  readonly publishLatency: Histogram;
  readonly publishErrors: Counter;
  readonly reconnects: Counter<'reason'>;
  readonly rotations: Counter<'why'>;
  readonly gaps: Counter<'symbol' | 'stream'>;
  readonly missingIds: Counter<'symbol' | 'stream'>;
  readonly deadLetters: Counter<'reason'>;
  readonly connectionState: Gauge<'state'>;
  readonly buffered: Gauge;

  constructor(withDefaults = true) {
    const registry = (this.registry = createRegistry('producer', withDefaults));
    const reg = { registers: [registry] };
    this.messagesIn = new Counter({ name: 'producer_messages_in_total', help: 'Valid messages received from Binance', labelNames: ['symbol', 'kind'], ...reg });
    this.messagesOut = new Counter({ name: 'producer_messages_out_total', help: 'Records acknowledged by Kafka', labelNames: ['symbol', 'kind'], ...reg });
    this.duplicatesDropped = new Counter({ name: 'producer_duplicates_dropped_total', help: 'Messages dropped as duplicates (id not above the last seen), e.g. from a rotation overlap', labelNames: ['symbol', 'kind'], ...reg });
    this.publishLatency = new Histogram({
      name: 'producer_publish_latency_seconds',
      help: 'Time from frame receipt to Kafka acknowledgement',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      ...reg,
    });
    this.publishErrors = new Counter({ name: 'producer_publish_errors_total', help: 'Failed Kafka send attempts (each is retried)', ...reg });
    this.reconnects = new Counter({ name: 'producer_reconnects_total', help: 'Interrupted connections that were re-established', labelNames: ['reason'], ...reg });
    this.rotations = new Counter({ name: 'producer_rotations_total', help: 'Seamless connection replacements', labelNames: ['why'], ...reg });
    this.gaps = new Counter({ name: 'producer_gaps_total', help: 'Holes detected in an id sequence', labelNames: ['symbol', 'stream'], ...reg });
    this.missingIds = new Counter({ name: 'producer_missing_ids_total', help: 'Ids inside detected holes', labelNames: ['symbol', 'stream'], ...reg });
    this.deadLetters = new Counter({ name: 'producer_dead_letters_total', help: 'Messages sent to the dead-letter topic', labelNames: ['reason'], ...reg });
    this.connectionState = new Gauge({ name: 'producer_connection_state', help: '1 for the current connection state, 0 for the others', labelNames: ['state'], ...reg });
    this.buffered = new Gauge({ name: 'producer_buffered_records', help: 'Records waiting to be sent to Kafka', ...reg });
    this.setState('idle');
  }

  setState(state: ConnectionState): void {
    for (const s of CONNECTION_STATES) this.connectionState.set({ state: s }, s === state ? 1 : 0);
  }
}
