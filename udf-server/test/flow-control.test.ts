import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:http2';
import { describe, it } from 'node:test';
import { silentLogger } from '@crypto-anomaly/common';
import { parseUdfConfig } from '../src/config.js';
import { startUdfServer } from '../src/server.js';

/**
 * docs/decisions/027: the sidecar advertises a large HTTP/2 receive window (per stream in its
 * SETTINGS, per connection with a WINDOW_UPDATE), so a multi-MB ScoreBundle request is not sent
 * 32 KB per round trip. This reaches into grpc-js internals: if an upgrade breaks that, this fails.
 */
describe('HTTP/2 flow-control window', () => {
  for (const windowBytes of [8 * 1024 * 1024, 65_535]) {
    it(`advertises ${windowBytes} bytes per stream and per connection`, async () => {
      const server = await startUdfServer(parseUdfConfig({ server: { host: '127.0.0.1', port: 0, flowControlWindowBytes: windowBytes }, metrics: { port: -1 } }), { logger: silentLogger() });
      const session = connect(`http://127.0.0.1:${server.port}`);
      try {
        await once(session, 'remoteSettings');
        assert.equal(session.remoteSettings.initialWindowSize, windowBytes);
        // The connection-level WINDOW_UPDATE follows the SETTINGS frame.
        const until = Date.now() + 2_000;
        while ((session.state.remoteWindowSize ?? 0) < windowBytes && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
        assert.equal(session.state.remoteWindowSize, windowBytes);
      } finally {
        session.destroy();
        await server.shutdown(100);
      }
    });
  }

  it('is validated: below the HTTP/2 default is rejected naming the field', () => {
    assert.throws(() => parseUdfConfig({ server: { flowControlWindowBytes: 1000 } }), /server\.flowControlWindowBytes/);
  });
});
