import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { ScalarType } from '@bufbuild/protobuf';
import { AggTradeSchema, BookTickerSchema, GapSchema, KlineSchema, TradeSchema } from './gen/cryptoanomaly/v1/market_pb.js';
import { DeadLetterSchema } from './gen/cryptoanomaly/v1/dead_letter_pb.js';
import type * as D from './domain.js';

/**
 * The one adapter between generated protobuf types and domain types. It is generic over the
 * message descriptor: int64 fields become JS numbers (every id and ms timestamp in the contract
 * is < 2^53; a larger value is rejected rather than silently rounded), enums become their value
 * names without the shared prefix ("TAKER_SIDE_BUY" -> "BUY"). Adding a field to a .proto needs
 * only the matching domain field.
 */
const INT64_TYPES = new Set<ScalarType>([ScalarType.INT64, ScalarType.UINT64, ScalarType.SINT64, ScalarType.FIXED64, ScalarType.SFIXED64]);

function toDomain<T>(schema: DescMessage, msg: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const field of schema.fields) {
    const value = msg[field.localName];
    if (field.fieldKind === 'scalar' && INT64_TYPES.has(field.scalar)) {
      const big = value as bigint;
      if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new RangeError(`${schema.typeName}.${field.name}: ${big} does not fit a JS number`);
      }
      out[field.localName] = Number(big);
    } else if (field.fieldKind === 'enum') {
      const v = field.enum.value[value as number];
      // localName is the value name without the enum's shared prefix.
      out[field.localName] = v === undefined ? 'UNSPECIFIED' : v.localName;
    } else {
      out[field.localName] = value;
    }
  }
  return out as T;
}

function fromDomain<S extends DescMessage>(schema: S, plain: object): MessageShape<S> {
  const src = plain as Record<string, unknown>;
  const init: Record<string, unknown> = {};
  for (const field of schema.fields) {
    const value = src[field.localName];
    if (value === undefined) continue;
    if (field.fieldKind === 'scalar' && INT64_TYPES.has(field.scalar)) {
      init[field.localName] = BigInt(Math.trunc(value as number));
    } else if (field.fieldKind === 'enum') {
      const v = field.enum.values.find((e) => e.localName === value);
      if (v === undefined) throw new RangeError(`${schema.typeName}.${field.name}: unknown enum value ${String(value)}`);
      init[field.localName] = v.number;
    } else {
      init[field.localName] = value;
    }
  }
  return create(schema, init as never);
}

export interface Codec<T> {
  /** Fully-qualified protobuf type name, also sent as the Kafka header `record-type`. */
  readonly typeName: string;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

function codec<T extends object>(schema: DescMessage): Codec<T> {
  return Object.freeze({
    typeName: schema.typeName,
    encode: (value: T) => toBinary(schema, fromDomain(schema, value)),
    decode: (bytes: Uint8Array) => toDomain<T>(schema, fromBinary(schema, bytes) as unknown as Record<string, unknown>),
  });
}

export const tradeCodec: Codec<D.Trade> = codec<D.Trade>(TradeSchema);
export const aggTradeCodec: Codec<D.AggTrade> = codec<D.AggTrade>(AggTradeSchema);
export const klineCodec: Codec<D.Kline> = codec<D.Kline>(KlineSchema);
export const bookTickerCodec: Codec<D.BookTicker> = codec<D.BookTicker>(BookTickerSchema);
export const gapCodec: Codec<D.Gap> = codec<D.Gap>(GapSchema);
export const deadLetterCodec: Codec<D.DeadLetter> = codec<D.DeadLetter>(DeadLetterSchema);

/** Every record codec by its short name, for tools that decode any topic (the tail CLI). */
export const codecs = Object.freeze({
  trade: tradeCodec,
  aggTrade: aggTradeCodec,
  kline: klineCodec,
  bookTicker: bookTickerCodec,
  gap: gapCodec,
  deadLetter: deadLetterCodec,
});
export type RecordKind = keyof typeof codecs;

/** Kafka header carrying the record's protobuf type name, so a reader never has to guess. */
export const RECORD_TYPE_HEADER = 'record-type';

export function codecForTypeName(typeName: string): Codec<object> | undefined {
  return Object.values(codecs).find((c) => c.typeName === typeName) as Codec<object> | undefined;
}
