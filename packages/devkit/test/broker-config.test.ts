import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { brokerLayout, findFreePort, generateClusterId, kafkaCacheDir, renderLog4j2, renderServerProperties } from '../src/index.js';

function parseProperties(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.includes('=')) continue;
    const i = line.indexOf('=');
    map.set(line.slice(0, i), line.slice(i + 1));
  }
  return map;
}

test('server.properties describes one combined KRaft node listening on 127.0.0.1 only', () => {
  const props = parseProperties(renderServerProperties({ port: 9092, controllerPort: 9093, logDir: '/data/kraft' }));
  assert.equal(props.get('process.roles'), 'broker,controller');
  assert.equal(props.get('controller.quorum.voters'), '1@127.0.0.1:9093');
  assert.equal(props.get('listeners'), 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093');
  assert.equal(props.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:9092');
  assert.equal(props.get('log.dirs'), '/data/kraft');
  for (const [key, value] of props) {
    if (key.includes('listeners')) assert.ok(!/0\.0\.0\.0|localhost|::/.test(value), `${key} must bind 127.0.0.1 only`);
  }
});

test('every internal topic gets replication factor 1 so a single node can create it', () => {
  const props = parseProperties(renderServerProperties({ port: 1, controllerPort: 2, logDir: '/d' }));
  for (const key of [
    'offsets.topic.replication.factor',
    'transaction.state.log.replication.factor',
    'transaction.state.log.min.isr',
    'share.coordinator.state.topic.replication.factor',
    'share.coordinator.state.topic.min.isr',
    'default.replication.factor',
    'min.insync.replicas',
  ]) {
    assert.equal(props.get(key), '1', key);
  }
});

test('transactions may last an hour and topics are never created implicitly', () => {
  const props = parseProperties(renderServerProperties({ port: 1, controllerPort: 2, logDir: '/d' }));
  assert.equal(props.get('transaction.max.timeout.ms'), '3600000');
  assert.equal(props.get('auto.create.topics.enable'), 'false');
});

test('caller overrides replace generated settings', () => {
  const props = parseProperties(renderServerProperties({ port: 1, controllerPort: 2, logDir: '/d', overrides: { 'num.partitions': 6, 'log.retention.ms': -1 } }));
  assert.equal(props.get('num.partitions'), '6');
  assert.equal(props.get('log.retention.ms'), '-1');
});

test('the broker logs to a rotated file at the requested level and not to the console', () => {
  const text = renderLog4j2('/data/logs/server.log', 'WARN');
  assert.match(text, /appender\.file\.fileName = \/data\/logs\/server\.log/);
  assert.match(text, /rootLogger\.level = WARN/);
  assert.doesNotMatch(text, /Console/i);
});

test('cluster ids are 22 url-safe base64 characters and never start with a dash', () => {
  for (let i = 0; i < 200; i++) assert.match(generateClusterId(), /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  let calls = 0;
  const id = generateClusterId((n) => (calls++ === 0 ? Buffer.alloc(n, 0xfb) : Buffer.alloc(n, 1)));
  assert.equal(calls, 2, 'an id starting with "-" is drawn again');
  assert.ok(!id.startsWith('-'));
});

test('the jar cache lives under XDG_CACHE_HOME, else ~/.cache, per Kafka version', () => {
  assert.equal(kafkaCacheDir('4.2.1', { XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' }), '/x/cache/crypto-anomaly/kafka-4.2.1');
  assert.equal(kafkaCacheDir('4.2.1', { HOME: '/home/u' }), '/home/u/.cache/crypto-anomaly/kafka-4.2.1');
  assert.equal(kafkaCacheDir('4.1.0', { XDG_CACHE_HOME: '', HOME: '/home/u' }), '/home/u/.cache/crypto-anomaly/kafka-4.1.0');
});

test('a data directory holds config, logs, topic data and the CLI state file side by side', () => {
  const layout = brokerLayout('/v/kafka');
  assert.equal(layout.stateFile, join('/v/kafka', 'broker.json'));
  assert.ok(layout.logDir.startsWith('/v/kafka/'));
  assert.ok(layout.serverLog.startsWith('/v/kafka/logs/'));
});

test('a free port is a valid TCP port number', async () => {
  const port = await findFreePort();
  assert.ok(Number.isInteger(port) && port > 0 && port < 65_536);
});
