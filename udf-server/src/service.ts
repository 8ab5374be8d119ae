import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@crypto-anomaly/common';
import type { UdfConfig } from './config.js';
import { ValidationError } from '@crypto-anomaly/scoring';
import type { UdfMetrics } from './metrics.js';
import type { Scorer } from './scorer.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, type ScoreBundleRequest, type ScoreBundleResponse } from './wire.js';

export const SCORING_SERVICE_NAME = 'cryptoanomaly.v1.ScoringService';
export const SCORE_BUNDLE_PATH = `/${SCORING_SERVICE_NAME}/ScoreBundle`;
/** Trailer carrying the ValidationReason of an INVALID_ARGUMENT answer, for clients and logs. */
export const REASON_TRAILER = 'x-reason';

const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * Server side: grpc-js hands the handler the raw request bytes, and the handler decodes them.
 * Decoding inside the handler (instead of in grpc-js's deserializer) is what lets a malformed
 * protobuf become INVALID_ARGUMENT with a reason; a throwing deserializer is answered by grpc-js
 * itself with INTERNAL.
 */
export const scoringServiceDefinition: grpc.ServiceDefinition = {
  ScoreBundle: {
    path: SCORE_BUNDLE_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Uint8Array) => asBuffer(b),
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Uint8Array) => asBuffer(b),
    responseDeserialize: (b: Buffer) => b,
    originalName: 'scoreBundle',
  },
};

/** Client side with domain types (tests, the benchmark, tools). The Flink job has its own. */
export const scoringClientDefinition: grpc.ServiceDefinition = {
  ScoreBundle: {
    path: SCORE_BUNDLE_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (r: ScoreBundleRequest) => asBuffer(encodeRequest(r)),
    requestDeserialize: (b: Buffer) => decodeRequest(b),
    responseSerialize: (r: ScoreBundleResponse) => asBuffer(encodeResponse(r)),
    responseDeserialize: (b: Buffer) => decodeResponse(b),
    originalName: 'scoreBundle',
  },
};

export interface ScoringClient extends grpc.Client {
  ScoreBundle(req: ScoreBundleRequest, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, res?: ScoreBundleResponse) => void): grpc.ClientUnaryCall;
}

export function createScoringClient(address: string, options: grpc.ClientOptions = {}): ScoringClient {
  const Ctor = grpc.makeGenericClientConstructor(scoringClientDefinition, 'ScoringService');
  return new Ctor(address, grpc.credentials.createInsecure(), options) as unknown as ScoringClient;
}

/** Promise wrapper around the callback client, with a deadline. */
export function scoreBundle(client: ScoringClient, req: ScoreBundleRequest, deadlineMs = 10_000): Promise<ScoreBundleResponse> {
  return new Promise((resolve, reject) => {
    client.ScoreBundle(req, { deadline: Date.now() + deadlineMs }, (err, res) => (err !== null ? reject(err) : resolve(res!)));
  });
}

export interface HandlerDeps {
  readonly logger: Logger;
  readonly metrics: UdfMetrics;
}

function statusError(code: grpc.status, details: string, reason?: string): grpc.ServerErrorResponse {
  const metadata = new grpc.Metadata();
  if (reason !== undefined) metadata.set(REASON_TRAILER, reason);
  return Object.assign(new Error(details), { code, details, metadata });
}

/**
 * THE adapter from an async handler to grpc-js's callback API. Every unary method goes through
 * it, so the rules hold everywhere:
 * - a ValidationError becomes INVALID_ARGUMENT with its message as details and its reason in the
 *   `x-reason` trailer (logged at info: the client's bug, not ours);
 * - any other error is logged with its stack BEFORE answering INTERNAL (no silent catch-all);
 *   the client sees a generic message, never our internals;
 * - the callback is called exactly once; a second attempt is logged and dropped.
 */
export function unary<Req, Res>(deps: HandlerDeps, method: string, fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let answered = false;
    const answer = (err: grpc.ServerErrorResponse | null, res?: Res): void => {
      if (answered) {
        deps.logger.error({ method }, 'handler tried to answer twice; second answer dropped');
        return;
      }
      answered = true;
      if (err === null) callback(null, res);
      else callback(err);
    };
    let pending: Promise<Res>;
    try {
      pending = fn(call.request, call);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (res) => answer(null, res),
      (err: unknown) => {
        if (err instanceof ValidationError) {
          deps.metrics.errors.inc({ code: 'INVALID_ARGUMENT', reason: err.reason });
          deps.logger.info({ method, reason: err.reason, msg: err.message }, 'invalid request');
          answer(statusError(grpc.status.INVALID_ARGUMENT, err.message, err.reason));
        } else {
          deps.metrics.errors.inc({ code: 'INTERNAL', reason: 'UNEXPECTED' });
          deps.logger.error({ method, err }, 'unexpected error while handling a call');
          answer(statusError(grpc.status.INTERNAL, `internal error in ${method}; see the sidecar's logs`));
        }
      },
    );
  };
}

export interface ScoringServiceDeps extends HandlerDeps {
  readonly config: UdfConfig;
  /** Read per call: a config reload swaps it between bundles. */
  readonly scorer: Scorer;
}

/** cryptoanomaly.v1.ScoringService: bytes in, bytes out; all logic is in the Scorer. */
export class ScoringService {
  constructor(private readonly deps: ScoringServiceDeps) {}

  /**
   * Async so that the adapter treats sync throws and rejections alike. Scoring itself is CPU
   * only and runs to completion without touching I/O (docs/decisions/030 on bundle sizes).
   */
  async scoreBundle(bytes: Uint8Array): Promise<Uint8Array> {
    const { metrics, scorer, logger } = this.deps;
    const t0 = performance.now();
    let outcome = 'error';
    try {
      const req = decodeRequest(bytes);
      metrics.bundleWindows.observe(req.windows.length);
      let scored;
      try {
        scored = scorer.scoreBundle(req);
      } catch (err) {
        if (err instanceof ValidationError) throw new ValidationError(err.reason, `bundle ${JSON.stringify(req.bundleId)}: ${err.message}`, { cause: err });
        throw err;
      }
      const { response, diagnostics } = scored;
      for (const r of diagnostics.stateResets) {
        metrics.stateResets.inc({ kind: r.reason.startsWith('state version') ? 'udf_version' : 'detector' });
        logger.warn({ bundleId: req.bundleId, key: r.key, reason: r.reason }, 'key state unreadable; restarted cold');
      }
      for (let i = 0; i < response.results.length; i++) {
        const a = response.results[i]!;
        metrics.windowSeconds.observe({ interval: a.interval }, diagnostics.windowMs[i]! / 1000);
        metrics.windowsScored.inc({ interval: a.interval, outcome: a.tradeCount === 0 ? 'empty' : 'scored' });
        if (a.isAnomaly) metrics.anomalies.inc({ interval: a.interval, type: a.type, feature: a.reasons[0]?.feature ?? 'none' });
      }
      for (const s of response.states) metrics.stateBytes.observe(s.state.length);
      const out = encodeResponse(response);
      outcome = 'ok';
      return out;
    } catch (err) {
      if (err instanceof ValidationError) outcome = 'invalid';
      throw err;
    } finally {
      metrics.bundleSeconds.observe({ outcome }, (performance.now() - t0) / 1000);
    }
  }

  /** The implementation object for grpc.Server#addService(scoringServiceDefinition, ...). */
  implementation(): grpc.UntypedServiceImplementation {
    return {
      ScoreBundle: unary<Buffer, Uint8Array>(this.deps, 'ScoreBundle', (req) => this.scoreBundle(req)),
    };
  }
}
