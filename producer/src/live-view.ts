import type { BinanceProducer } from './app.js';
import type { ProducerConfig } from './config.js';

/**
 * A plain-text view of what is flowing, refreshed every `periodMs` on stdout: connection
 * state, rates per stream kind, totals, dead letters, gaps. Plain lines (no cursor tricks) so
 * it reads the same in a terminal, a log file and CI.
 */
export function startLiveView(producer: BinanceProducer, config: ProducerConfig, periodMs = 2_000, out: NodeJS.WritableStream = process.stdout): () => void {
  let last = new Map<string, number>();
  let lastAt = Date.now();
  const kinds = ['trade', 'aggTrade', 'kline', 'bookTicker'];
  out.write(`producer: ${config.symbols.join(',')} [${config.streams.join(',')}] -> ${config.kafka.brokers.join(',')}\n`);
  const timer = setInterval(() => {
    const now = Date.now();
    const dt = (now - lastAt) / 1000;
    const s = producer.stats;
    const parts = kinds
      .filter((k) => (s.out.get(k) ?? 0) > 0 || (s.in.get(k) ?? 0) > 0)
      .map((k) => {
        const total = s.out.get(k) ?? 0;
        const rate = (total - (last.get(k) ?? 0)) / dt;
        return `${k} ${total} (${rate.toFixed(0)}/s)`;
      });
    last = new Map(s.out);
    lastAt = now;
    out.write(
      `${new Date(now).toISOString().slice(11, 19)} ${producer.connectionState.padEnd(10)} | ${parts.join(' | ') || 'waiting for data'}` +
        ` | dead-letters ${s.deadLetters} | gaps ${s.gaps} (${s.missingIds} ids) | reconnects ${s.reconnects}\n`,
    );
  }, periodMs);
  timer.unref();
  return () => clearInterval(timer);
}
