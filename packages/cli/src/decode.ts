import { codecForTypeName, codecs, RECORD_TYPE_HEADER, TOPIC_RECORD_KIND, type RecordKind } from '@crypto-anomaly/contract';

/**
 * Decodes one Kafka record value to a JSON-friendly object. The record's `record-type` header
 * wins; else the kind given by the user; else the default for the topic name.
 */
export function decodeRecord(topic: string, value: Buffer | null, headerType: string | undefined, kind?: RecordKind): unknown {
  if (value === null) return null;
  const codec = (headerType ? codecForTypeName(headerType) : undefined) ?? (kind ? codecs[kind] : undefined) ?? codecs[TOPIC_RECORD_KIND[topic] ?? 'trade'];
  try {
    const decoded = codec.decode(value) as Record<string, unknown>;
    // Show raw payload bytes (dead letters) as text, which is what a person wants to read.
    if (decoded['payload'] instanceof Uint8Array) decoded['payload'] = Buffer.from(decoded['payload']).toString('utf8');
    return decoded;
  } catch (err) {
    return { undecodable: (err as Error).message, bytes: value.toString('base64') };
  }
}

export function headerValue(headers: Record<string, unknown> | undefined, name: string = RECORD_TYPE_HEADER): string | undefined {
  const v = headers?.[name];
  if (v === undefined || v === null) return undefined;
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}
