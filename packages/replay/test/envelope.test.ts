import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { envelopeOf, makeEnvelope, payloadOf, splitEnvelope } from '../src/envelope.js';

describe('combined-stream envelopes', () => {
  it('cuts the payload out of a compact envelope byte for byte', () => {
    const raw = '{"stream":"btcusdt@trade","data":{"e":"trade","p":"1.00","x":1.0}}';
    assert.deepEqual(splitEnvelope(raw), { stream: 'btcusdt@trade', payload: '{"e":"trade","p":"1.00","x":1.0}' });
    assert.equal(payloadOf(raw), '{"e":"trade","p":"1.00","x":1.0}');
  });

  it('falls back to parsing for envelopes in another spelling and passes bare payloads through', () => {
    assert.equal(payloadOf('{ "stream": "a@trade", "data": {"E":1} }'), '{"E":1}');
    assert.equal(payloadOf('{"E":1}'), '{"E":1}');
    assert.equal(payloadOf('not json'), 'not json');
  });

  it('wraps bare payloads and leaves envelopes as they are', () => {
    assert.equal(envelopeOf('a@trade', '{"E":1}'), '{"stream":"a@trade","data":{"E":1}}');
    const env = '{"stream":"a@trade","data":{"E":1}}';
    assert.equal(envelopeOf('a@trade', env), env);
    assert.equal(makeEnvelope('a@trade', '{"E":2}'), '{"stream":"a@trade","data":{"E":2}}');
  });
});
