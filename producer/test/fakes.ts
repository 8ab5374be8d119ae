import type { Clock, SocketFactory, SocketLike } from '../src/connection.js';

/** A manual clock: timers fire only when the test advances time. */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Advances time, firing due timers in order (including timers they schedule). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (next === undefined || e[1].at < next[1].at)) next = e;
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
  }
}

/** A scripted socket: the test plays the server's side. */
export class FakeSocket implements SocketLike {
  readonly pongs: Buffer[] = [];
  closedWith: { code: number; reason: string } | undefined;
  terminated = false;
  paused = false;
  private h: {
    open?: () => void; message?: (t: string) => void; ping?: (p: Buffer) => void;
    close?: (c: number, r: string) => void; error?: (e: Error) => void;
  } = {};

  constructor(readonly url: string) {}

  onOpen(fn: () => void): void { this.h.open = fn; }
  onMessage(fn: (text: string) => void): void { this.h.message = fn; }
  onPing(fn: (payload: Buffer) => void): void { this.h.ping = fn; }
  onClose(fn: (code: number, reason: string) => void): void { this.h.close = fn; }
  onError(fn: (err: Error) => void): void { this.h.error = fn; }
  pong(payload: Buffer): void { this.pongs.push(payload); }
  close(code: number, reason: string): void { this.closedWith = { code, reason }; }
  terminate(): void { this.terminated = true; }
  pause(): void { this.paused = true; }
  resume(): void { this.paused = false; }

  // Server side.
  open(): void { this.h.open?.(); }
  send(text: string): void { this.h.message?.(text); }
  ping(payload: string): void { this.h.ping?.(Buffer.from(payload)); }
  serverClose(code = 1006, reason = ''): void { this.h.close?.(code, reason); }
  fail(message: string): void { this.h.error?.(new Error(message)); }
  get isClosedByClient(): boolean { return this.closedWith !== undefined || this.terminated; }
}

export function fakeSockets(): { factory: SocketFactory; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  return {
    sockets,
    factory: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
  };
}

export const tradeFrame = (symbol: string, id: number, t = 1_723_161_601_000 + id): string =>
  JSON.stringify({
    stream: `${symbol.toLowerCase()}@trade`,
    data: { e: 'trade', E: t + 1, s: symbol, t: id, p: '61685.99000000', q: '0.00081000', T: t, m: true, M: true },
  });
