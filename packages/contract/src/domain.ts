/**
 * Plain domain types for the Kafka records of protos/cryptoanomaly/v1. Domain code uses these;
 * only codec.ts touches the generated protobuf classes. Units as in the .proto files:
 * times in ms since the Unix epoch (UTC), prices in quote currency per base unit, quantities in
 * base units, `*Decimal` fields are the exact decimal strings Binance sent.
 */
export type TakerSide = 'BUY' | 'SELL';

export interface Trade {
  symbol: string;
  tradeId: number;
  eventTimeMs: number;
  tradeTimeMs: number;
  priceDecimal: string;
  quantityDecimal: string;
  price: number;
  quantity: number;
  takerSide: TakerSide;
  ingestTimeMs: number;
}

export interface AggTrade {
  symbol: string;
  aggTradeId: number;
  firstTradeId: number;
  lastTradeId: number;
  eventTimeMs: number;
  tradeTimeMs: number;
  priceDecimal: string;
  quantityDecimal: string;
  price: number;
  quantity: number;
  takerSide: TakerSide;
  ingestTimeMs: number;
}

export type KlineSource = 'BINANCE' | 'FLINK';

export interface Kline {
  symbol: string;
  interval: string;
  openTimeMs: number;
  closeTimeMs: number;
  firstTradeId: number;
  lastTradeId: number;
  openDecimal: string;
  highDecimal: string;
  lowDecimal: string;
  closeDecimal: string;
  open: number;
  high: number;
  low: number;
  close: number;
  baseVolumeDecimal: string;
  quoteVolumeDecimal: string;
  takerBuyBaseVolumeDecimal: string;
  takerBuyQuoteVolumeDecimal: string;
  baseVolume: number;
  quoteVolume: number;
  takerBuyBaseVolume: number;
  takerBuyQuoteVolume: number;
  tradeCount: number;
  vwap: number;
  isClosed: boolean;
  eventTimeMs: number;
  source: KlineSource;
}

export interface BookTicker {
  symbol: string;
  updateId: number;
  bidPriceDecimal: string;
  bidQuantityDecimal: string;
  askPriceDecimal: string;
  askQuantityDecimal: string;
  bidPrice: number;
  bidQuantity: number;
  askPrice: number;
  askQuantity: number;
  eventTimeMs: number;
  eventTimeEstimated: boolean;
  ingestTimeMs: number;
}

export type GapStream = 'TRADE' | 'AGG_TRADE';

export interface Gap {
  symbol: string;
  stream: GapStream;
  firstMissingId: number;
  lastMissingId: number;
  missingCount: number;
  beforeEventTimeMs: number;
  afterEventTimeMs: number;
  detectedAtMs: number;
  acrossReconnect: boolean;
}

export type DeadLetterReason =
  | 'NOT_JSON'
  | 'BAD_ENVELOPE'
  | 'UNKNOWN_STREAM'
  | 'MISSING_FIELD'
  | 'BAD_FIELD_TYPE'
  | 'NON_POSITIVE_VALUE'
  | 'OVERSIZED_FRAME'
  | 'SYMBOL_MISMATCH'
  | 'UNDECODABLE_RECORD'
  | 'INCONSISTENT_RECORD'
  | 'IMPLAUSIBLE_ID';

export interface DeadLetter {
  payload: Uint8Array;
  reason: DeadLetterReason;
  detail: string;
  source: string;
  stream: string;
  receivedAtMs: number;
  originalSizeBytes: number;
}

export type Confidence = 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH';
export type AnomalyType =
  | 'UNSPECIFIED'
  | 'PRICE_SPIKE'
  | 'FLASH_CRASH'
  | 'VOLUME_BURST'
  | 'VOLATILITY_REGIME_SHIFT'
  | 'ONE_SIDED_FLOW'
  | 'PUMP_PATTERN'
  | 'SPREAD_BLOWOUT'
  | 'MARKET_WIDE_MOVE'
  | 'OTHER';

export interface Reason {
  feature: string;
  actual: number;
  typical: number;
  z: number;
  detector: string;
  text: string;
}

export interface DetectorScore {
  detector: string;
  score: number;
  vote: boolean;
  warm: boolean;
}

/** A scored window (topic `scored-windows`); the anomalous ones also go to `alerts`. */
export interface Alert {
  symbol: string;
  interval: string;
  windowStartMs: number;
  windowEndMs: number;
  close: number;
  returnPct: number;
  votes: number;
  voters: number;
  isAnomaly: boolean;
  confidence: Confidence;
  severity: number;
  type: AnomalyType;
  reasons: Reason[];
  detectorScores: DetectorScore[];
  features: Record<string, number>;
  configVersion: string;
  modelVersion: string;
  tradeCount: number;
  /**
   * Cross-symbol context (MARKET_WIDE_MOVE): the scorer sets direction and rule, the Flink job's
   * market-context stage the counts (alert.proto MarketContext). Absent in results of older scorers.
   */
  market?: MarketContext;
}

export interface MarketContext {
  /** +1 price candidate moving up, -1 down, 0 not a price candidate. */
  direction: number;
  ruleMinSymbols: number;
  ruleMinShare: number;
  /** Price candidates only (else 0): symbols with trades in this (interval, window start). */
  symbols: number;
  /** Price candidates only (else 0): of them, the candidates moving this window's way. */
  moving: number;
}
