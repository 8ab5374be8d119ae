import WebSocket from 'ws';
import { backoffDelay, type BackoffPolicy, type Logger } from '@crypto-anomaly/common';

/**
 * Binance's WebSocket connection as an explicit state machine.
 *
 *   idle ──start──► connecting ──open──► live ──(close|error|silence)──► backingOff ──timer──► connecting
 *                                          │                                    ▲
 *                                          └─(rotation due | serverShutdown)─► live + standby
 *                                               standby open, overlap elapsed ─► promote standby
 *   any ──stop──► stopping ──► stopped
 *
 * Binance's documented rules are ordinary events here: a connection lives at most 24 h (we
 * rotate earlier, `rotateAfterMs`), the server pings every 20 s and wants the payload echoed
 * (we answer explicitly), `serverShutdown` announces maintenance (we rotate at once). During a
 * rotation the standby's frames are buffered and released when it is promoted, after the old
 * connection has delivered everything up to the overlap; the consumer drops the duplicates by
 * id (see Sequencer). A socket silent for `silenceTimeoutMs` (no frame, no ping) is replaced.
 * Time comes from an injected Clock so every rule is testable without waiting.
 */
export type ConnectionState = 'idle' | 'connecting' | 'live' | 'backingOff' | 'stopping' | 'stopped';
export const CONNECTION_STATES: readonly ConnectionState[] = ['idle', 'connecting', 'live', 'backingOff', 'stopping', 'stopped'];

export type DisconnectReason = 'closed' | 'error' | 'silence' | 'connect-timeout';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** The part of a WebSocket the state machine uses; `wsSocketFactory` adapts `ws`. */
export interface SocketLike {
  onOpen(fn: () => void): void;
  onMessage(fn: (text: string) => void): void;
  onPing(fn: (payload: Buffer) => void): void;
  onClose(fn: (code: number, reason: string) => void): void;
  onError(fn: (err: Error) => void): void;
  pong(payload: Buffer): void;
  close(code: number, reason: string): void;
  terminate(): void;
  pause(): void;
  resume(): void;
}
export type SocketFactory = (url: string) => SocketLike;

/** Hard cap for one frame at the socket level; the configurable maxFrameBytes is checked later. */
const WS_MAX_PAYLOAD = 64 * 1024 * 1024;

export function wsSocketFactory(): SocketFactory {
  return (url) => {
    // autoPong off: we echo pings ourselves so the rule is explicit and visible in tests.
    const ws = new WebSocket(url, { autoPong: false, maxPayload: WS_MAX_PAYLOAD, perMessageDeflate: false });
    return {
      onOpen: (fn) => ws.on('open', fn),
      onMessage: (fn) => ws.on('message', (data: WebSocket.RawData) => fn(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString('utf8'))),
      onPing: (fn) => ws.on('ping', fn),
      onClose: (fn) => ws.on('close', (code, reason) => fn(code, reason.toString('utf8'))),
      onError: (fn) => ws.on('error', fn),
      pong: (payload) => {
        if (ws.readyState === WebSocket.OPEN) ws.pong(payload);
      },
      close: (code, reason) => ws.close(code, reason),
      terminate: () => ws.terminate(),
      pause: () => ws.pause(),
      resume: () => ws.resume(),
    };
  };
}

export interface ConnectionEvents {
  /** A frame from the active connection, with its local receive time (ms). */
  onFrame(text: string, receivedAtMs: number): void;
  onState?(state: ConnectionState): void;
  /** The feed was interrupted (not a seamless rotation): frames may have been missed. */
  onInterrupted?(reason: DisconnectReason): void;
  /** A standby connection replaced the active one without interruption. */
  onRotated?(why: 'scheduled' | 'serverShutdown' | 'primary-lost'): void;
}

export interface ConnectionOptions {
  readonly url: string;
  readonly rotateAfterMs: number;
  readonly overlapMs: number;
  readonly silenceTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly backoff: BackoffPolicy;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly socketFactory?: SocketFactory;
  readonly log: Logger;
}

interface Conn {
  readonly id: number;
  readonly socket: SocketLike;
  readonly role: 'primary' | 'standby';
  open: boolean;
  closed: boolean;
  lastActivityMs: number;
  /** Standby frames held back until promotion. */
  buffer: Array<[string, number]>;
  timers: unknown[];
  watchdog: unknown;
}

export class BinanceConnection {
  private stateValue: ConnectionState = 'idle';
  private primary: Conn | undefined;
  private standby: Conn | undefined;
  private nextId = 1;
  private attempt = 0;
  private standbyAttempt = 0;
  private rotationWhy: 'scheduled' | 'serverShutdown' = 'scheduled';
  private backoffTimer: unknown;
  private paused = false;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly factory: SocketFactory;

  constructor(private readonly opts: ConnectionOptions, private readonly events: ConnectionEvents) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.factory = opts.socketFactory ?? wsSocketFactory();
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** Number of sockets currently open (2 during a rotation overlap). */
  get openSockets(): number {
    return (this.primary?.open ? 1 : 0) + (this.standby?.open ? 1 : 0);
  }

  start(): void {
    if (this.stateValue !== 'idle') throw new Error(`start() in state ${this.stateValue}`);
    this.connectPrimary();
  }

  /** Binance announced maintenance: move to a fresh connection now. */
  serverShutdown(): void {
    if (this.stateValue !== 'live') return;
    this.opts.log.warn({ event: 'serverShutdown' }, 'Binance announced a server shutdown; rotating connection');
    this.rotationWhy = 'serverShutdown';
    this.openStandby();
  }

  /** Stops reading from the sockets (TCP backpressure) until resume(). */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.primary?.socket.pause();
    this.standby?.socket.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.primary?.socket.resume();
    this.standby?.socket.resume();
  }

  /** Stops intake: closes every socket and cancels every timer. Idempotent. */
  stop(): void {
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped') return;
    this.setState('stopping');
    this.clock.clearTimeout(this.backoffTimer);
    for (const c of [this.primary, this.standby]) if (c !== undefined) this.dispose(c, 1000, 'client stopping');
    this.primary = undefined;
    this.standby = undefined;
    this.setState('stopped');
  }

  private setState(s: ConnectionState): void {
    if (s === this.stateValue) return;
    this.stateValue = s;
    this.events.onState?.(s);
  }

  private connectPrimary(): void {
    this.setState('connecting');
    this.primary = this.openConn('primary');
  }

  private openStandby(): void {
    if (this.standby !== undefined || this.stateValue !== 'live') return;
    this.standby = this.openConn('standby');
  }

  private openConn(role: Conn['role']): Conn {
    const socket = this.factory(this.opts.url);
    const conn: Conn = { id: this.nextId++, socket, role, open: false, closed: false, lastActivityMs: this.clock.now(), buffer: [], timers: [], watchdog: undefined };
    if (this.paused) socket.pause();
    conn.timers.push(this.clock.setTimeout(() => {
      if (!conn.open) this.lost(conn, 'connect-timeout');
    }, this.opts.connectTimeoutMs));
    socket.onOpen(() => this.opened(conn));
    socket.onMessage((text) => {
      if (conn.closed) return;
      const now = this.clock.now();
      conn.lastActivityMs = now;
      if (conn === this.primary) this.events.onFrame(text, now);
      else conn.buffer.push([text, now]);
    });
    socket.onPing((payload) => {
      if (conn.closed) return;
      conn.lastActivityMs = this.clock.now();
      socket.pong(payload);
    });
    socket.onClose((code, reason) => {
      if (!conn.closed) this.opts.log.info({ conn: conn.id, code, reason }, 'socket closed by peer');
      this.lost(conn, 'closed');
    });
    socket.onError((err) => {
      this.opts.log.warn({ conn: conn.id, err: err.message }, 'socket error');
      this.lost(conn, 'error');
    });
    return conn;
  }

  private opened(conn: Conn): void {
    if (conn.closed) return;
    conn.open = true;
    conn.lastActivityMs = this.clock.now();
    this.armWatchdog(conn);
    if (conn.role === 'primary' && conn === this.primary) {
      this.attempt = 0;
      this.setState('live');
      this.armRotation(conn);
    } else if (conn === this.standby) {
      this.standbyAttempt = 0;
      conn.timers.push(this.clock.setTimeout(() => this.promote(this.rotationWhy), this.opts.overlapMs));
    }
  }

  private armRotation(conn: Conn): void {
    conn.timers.push(this.clock.setTimeout(() => {
      if (conn !== this.primary) return;
      this.opts.log.info({ conn: conn.id }, 'connection lifetime reached; rotating before Binance closes it');
      this.rotationWhy = 'scheduled';
      this.openStandby();
    }, this.opts.rotateAfterMs));
  }

  /** Checks for silence at a quarter of the timeout instead of re-arming a timer per frame. */
  private armWatchdog(conn: Conn): void {
    const period = Math.max(1, Math.floor(this.opts.silenceTimeoutMs / 4));
    const tick = (): void => {
      if (conn.closed) return;
      if (this.clock.now() - conn.lastActivityMs >= this.opts.silenceTimeoutMs) {
        this.opts.log.warn({ conn: conn.id, silentMs: this.clock.now() - conn.lastActivityMs }, 'socket silent too long; replacing it');
        this.lost(conn, 'silence');
        return;
      }
      conn.watchdog = this.clock.setTimeout(tick, period);
    };
    conn.watchdog = this.clock.setTimeout(tick, period);
  }

  private promote(why: 'scheduled' | 'serverShutdown' | 'primary-lost'): void {
    const next = this.standby;
    if (next === undefined || !next.open || next.closed) return;
    const old = this.primary;
    this.standby = undefined;
    this.primary = next;
    (next as { role: Conn['role'] }).role = 'primary';
    if (old !== undefined) this.dispose(old, 1000, 'rotated');
    const buffered = next.buffer;
    next.buffer = [];
    for (const [text, at] of buffered) this.events.onFrame(text, at);
    this.armRotation(next);
    this.setState('live');
    this.events.onRotated?.(why);
  }

  private lost(conn: Conn, reason: DisconnectReason): void {
    if (conn.closed) return;
    this.dispose(conn, 1000, reason);
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped') return;
    if (conn === this.standby) {
      // The old connection still carries the feed; try the standby again after a backoff.
      this.standby = undefined;
      const delay = backoffDelay(this.standbyAttempt++, this.opts.backoff, this.random);
      this.primary?.timers.push(this.clock.setTimeout(() => this.openStandby(), delay));
      return;
    }
    if (conn !== this.primary) return;
    this.primary = undefined;
    if (this.standby?.open) {
      this.promote('primary-lost');
      return;
    }
    if (this.standby !== undefined) {
      // A standby is still connecting: it becomes the primary when it opens.
      const s = this.standby;
      this.standby = undefined;
      (s as { role: Conn['role'] }).role = 'primary';
      this.primary = s;
      this.setState('connecting');
      this.events.onInterrupted?.(reason);
      return;
    }
    this.events.onInterrupted?.(reason);
    this.setState('backingOff');
    const delay = backoffDelay(this.attempt++, this.opts.backoff, this.random);
    this.opts.log.warn({ reason, delayMs: delay, attempt: this.attempt }, 'connection lost; reconnecting after backoff');
    this.backoffTimer = this.clock.setTimeout(() => {
      if (this.stateValue === 'backingOff') this.connectPrimary();
    }, delay);
  }

  private dispose(conn: Conn, code: number, reason: string): void {
    if (conn.closed) return;
    conn.closed = true;
    for (const t of conn.timers) this.clock.clearTimeout(t);
    this.clock.clearTimeout(conn.watchdog);
    conn.timers = [];
    try {
      if (conn.open) conn.socket.close(code, reason);
      else conn.socket.terminate();
    } catch {
      conn.socket.terminate();
    }
  }
}
