/** One recorded WebSocket message, as the readers yield it and the local Binance serves it. */
export interface RecordedMessage {
  /** Local (collector) clock when the frame was received, in ms since the epoch; may be fractional. */
  readonly receivedAtMs: number;
  /** Exchange event time: the payload's `E`, or an estimate when the payload has none (see `eventTimeEstimated`). */
  readonly eventTimeMs: number;
  /** True when the payload has no `E` (spot `@bookTicker`) and `eventTimeMs` was estimated from the receive time. */
  readonly eventTimeEstimated: boolean;
  /** Combined-stream name exactly as recorded, e.g. "btcusdt@trade", "btcusdt@bookTicker". */
  readonly stream: string;
  /** The JSON text exactly as recorded (a combined-stream envelope `{"stream":..,"data":..}`). */
  readonly raw: string;
}

/** Anything that can be ordered by exchange time: merge, reorder and pace only need this. */
export interface Timed {
  readonly eventTimeMs: number;
}
