import { create, fromBinary, toBinary, type DescEnum, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { ScalarType } from '@bufbuild/protobuf';
import { AggTradeSchema, BookTickerSchema, GapSchema, KlineSchema, TradeSchema } from './gen/cryptoanomaly/v1/market_pb.js';
import { DeadLetterSchema } from './gen/cryptoanomaly/v1/dead_letter_pb.js';
import { AlertSchema } from './gen/cryptoanomaly/v1/alert_pb.js';
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
    switch (field.fieldKind) {
      case 'scalar':
        out[field.localName] = INT64_TYPES.has(field.scalar) ? toNumber(schema, field.name, value as bigint) : value;
        break;
      case 'enum':
        out[field.localName] = enumName(field.enum, value as number);
        break;
      case 'message':
        // An unset message field is absent from the domain object (optional property), not `undefined`.
        if (value !== undefined) out[field.localName] = toDomain(field.message, value as Record<string, unknown>);
        break;
      case 'list': {
        const items = value as unknown[];
        if (field.listKind === 'message') out[field.localName] = items.map((v) => toDomain(field.message, v as Record<string, unknown>));
        else if (field.listKind === 'enum') out[field.localName] = items.map((v) => enumName(field.enum, v as number));
        else out[field.localName] = INT64_TYPES.has(field.scalar) ? items.map((v) => toNumber(schema, field.name, v as bigint)) : [...items];
        break;
      }
      case 'map': {
        const entries = Object.entries(value as Record<string, unknown>);
        out[field.localName] = Object.fromEntries(
          entries.map(([k, v]) => [k, field.mapKind === 'message' ? toDomain(field.message, v as Record<string, unknown>) : field.mapKind === 'enum' ? enumName(field.enum, v as number) : typeof v === 'bigint' ? Number(v) : v]),
        );
        break;
      }
    }
  }
  return out as T;
}

function toNumber(schema: DescMessage, name: string, big: bigint): number {
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`${schema.typeName}.${name}: ${big} does not fit a JS number`);
  }
  return Number(big);
}

/** The value name without the enum's shared prefix (protobuf-es's localName). */
function enumName(desc: DescEnum, value: number): string {
  return desc.value[value]?.localName ?? 'UNSPECIFIED';
}

function enumNumber(desc: DescEnum, where: string, name: unknown): number {
  const v = desc.values.find((e) => e.localName === name);
  if (v === undefined) throw new RangeError(`${where}: unknown enum value ${String(name)}`);
  return v.number;
}

function fromDomain<S extends DescMessage>(schema: S, plain: object): MessageShape<S> {
  return create(schema, initOf(schema, plain) as never);
}

function initOf(schema: DescMessage, plain: object): Record<string, unknown> {
  const src = plain as Record<string, unknown>;
  const init: Record<string, unknown> = {};
  for (const field of schema.fields) {
    const value = src[field.localName];
    if (value === undefined) continue;
    const where = `${schema.typeName}.${field.name}`;
    switch (field.fieldKind) {
      case 'scalar':
        init[field.localName] = INT64_TYPES.has(field.scalar) ? BigInt(Math.trunc(value as number)) : value;
        break;
      case 'enum':
        init[field.localName] = enumNumber(field.enum, where, value);
        break;
      case 'message':
        init[field.localName] = initOf(field.message, value as object);
        break;
      case 'list': {
        const items = value as unknown[];
        if (field.listKind === 'message') init[field.localName] = items.map((v) => initOf(field.message, v as object));
        else if (field.listKind === 'enum') init[field.localName] = items.map((v) => enumNumber(field.enum, where, v));
        else init[field.localName] = INT64_TYPES.has(field.scalar) ? items.map((v) => BigInt(Math.trunc(v as number))) : items;
        break;
      }
      case 'map': {
        const entries = Object.entries(value as Record<string, unknown>);
        init[field.localName] = Object.fromEntries(
          entries.map(([k, v]) => [k, field.mapKind === 'message' ? initOf(field.message, v as object) : field.mapKind === 'enum' ? enumNumber(field.enum, where, v) : v]),
        );
        break;
      }
    }
  }
  return init;
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
export const alertCodec: Codec<D.Alert> = codec<D.Alert>(AlertSchema);

/** Every record codec by its short name, for tools that decode any topic (the tail CLI). */
export const codecs = Object.freeze({
  trade: tradeCodec,
  aggTrade: aggTradeCodec,
  kline: klineCodec,
  bookTicker: bookTickerCodec,
  gap: gapCodec,
  deadLetter: deadLetterCodec,
  alert: alertCodec,
});
export type RecordKind = keyof typeof codecs;

/** Kafka header carrying the record's protobuf type name, so a reader never has to guess. */
export const RECORD_TYPE_HEADER = 'record-type';

export function codecForTypeName(typeName: string): Codec<object> | undefined {
  return Object.values(codecs).find((c) => c.typeName === typeName) as Codec<object> | undefined;
}
