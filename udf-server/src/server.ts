import { unwatchFile, watchFile } from 'node:fs';
import type { Http2Server, ServerHttp2Session, Settings } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { createLogger, startMetricsServer, type Logger, type MetricsServer } from '@crypto-anomaly/common';
import { describeError } from '@crypto-anomaly/common';
import { configVersion, loadUdfConfig, type UdfConfig } from './config.js';
import { UdfMetrics } from './metrics.js';
import { loadScoringModels, modelFilesOf } from '@crypto-anomaly/scoring';
import { Scorer } from './scorer.js';
import { SCORING_SERVICE_NAME, ScoringService, scoringServiceDefinition } from './service.js';

export interface RunningUdfServer {
  /** The bound gRPC port (the real one when config.server.port was 0). */
  readonly port: number;
  /** The metrics port, or undefined when metrics are disabled (port -1). */
  readonly metricsPort: number | undefined;
  /** The scorer in force (replaced when the config file changes). */
  readonly scorer: Scorer;
  readonly metrics: UdfMetrics;
  /**
   * Graceful stop: health goes NOT_SERVING (probes and load balancers stop sending), then
   * tryShutdown lets in-flight calls finish within graceMs, then forceShutdown cancels the rest.
   * Resolves when the gRPC and metrics servers are closed. Idempotent.
   */
  shutdown(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  readonly metrics?: UdfMetrics;
  /**
   * Hot reload: the config file to watch, with the same env and flag overrides as at start-up
   * (they keep winning). When the file changes, the `scoring` section is re-validated and, if
   * valid and different, a new Scorer replaces the old one between bundles (the config_version
   * on results changes with it); an invalid file is rejected with an error log naming the field
   * and the previous config stays. Server, limits and metrics need a restart.
   * Independently of this option, the files of the model set in force (scoring.models.dir) are
   * polled too (every pollMs, default 1 s): a new model set is loaded and validated and, if its
   * version differs, a new Scorer takes over; a missing or corrupt one is rejected with an error
   * log naming the file and field, and the previous config and models stay.
   */
  readonly reload?: { readonly file: string; readonly env?: NodeJS.ProcessEnv; readonly overrides?: ReadonlyArray<readonly [readonly string[], unknown]>; readonly pollMs?: number };
}

/**
 * Starts the sidecar: ScoringService + grpc.health.v1.Health on config.server.host:port, and
 * Prometheus /metrics on config.metrics. Health reports SERVING for "" (the whole server) and for
 * the scoring service once both are bound.
 */
export async function startUdfServer(config: UdfConfig, options: StartOptions = {}): Promise<RunningUdfServer> {
  const logger = options.logger ?? createLogger('udf-server', config.logLevel);
  const metrics = options.metrics ?? new UdfMetrics();
  // Models are read and validated here, with the config: a bad model directory fails start-up
  // with a ConfigError naming the file and field (main.ts exits 2).
  const deps = { config, scorer: new Scorer(config.scoring, config.limits, loadScoringModels(config.scoring)), metrics, logger };
  const service = new ScoringService(deps);
  const reload = options.reload;
  const pollMs = reload?.pollMs ?? 1000;
  let watchedModels: string[] = [];
  let debounce: NodeJS.Timeout | undefined;
  const reloadNow = (): void => {
    const previous = { configVersion: deps.scorer.configVersion, modelVersion: deps.scorer.modelVersion };
    let what = 'config file';
    try {
      const next =
        reload?.file !== undefined
          ? loadUdfConfig({ file: reload.file, ...(reload.env !== undefined ? { env: reload.env } : {}), ...(reload.overrides !== undefined ? { overrides: reload.overrides } : {}) })
          : undefined;
      const scoring = next?.scoring ?? deps.scorer.config;
      what = scoring.models.dir !== undefined ? 'config or model files' : what;
      const models = loadScoringModels(scoring);
      const version = configVersion(scoring);
      if (version === previous.configVersion && (models?.version ?? scoring.modelVersion) === previous.modelVersion) return;
      deps.scorer = new Scorer(scoring, config.limits, models);
      watchModels();
      logger.warn({ file: reload?.file, previous: previous.configVersion, configVersion: version, previousModelVersion: previous.modelVersion, modelVersion: deps.scorer.modelVersion, modelsDir: models?.dir }, version === previous.configVersion ? 'models reloaded' : 'config reloaded');
    } catch (err) {
      logger.error({ file: reload?.file, modelsDir: deps.scorer.models?.dir, configVersion: previous.configVersion, modelVersion: previous.modelVersion, err: describeError(err) }, `${what} rejected; keeping the previous config and models`);
    }
  };
  // Several files of one model set change together (crypto-train renames four files): one reload.
  const onChange = (): void => {
    if (debounce !== undefined) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = undefined;
      reloadNow();
    }, Math.min(pollMs, 250));
  };
  const watchModels = (): void => {
    const files = modelFilesOf(deps.scorer.config);
    for (const f of watchedModels) if (!files.includes(f)) unwatchFile(f, onChange);
    for (const f of files) if (!watchedModels.includes(f)) watchFile(f, { interval: pollMs }, onChange);
    watchedModels = files;
  };
  // Polling (stat every pollMs) rather than fs.watch: it survives editors that replace the file
  // and ConfigMap symlink swaps, and a partly written file is simply re-read on the next change.
  if (reload !== undefined) watchFile(reload.file, { interval: pollMs }, onChange);
  watchModels();
  const health = new HealthImplementation({ '': 'NOT_SERVING', [SCORING_SERVICE_NAME]: 'NOT_SERVING' });

  const server = new grpc.Server({
    'grpc.max_receive_message_length': config.limits.maxMessageBytes,
    'grpc.max_send_message_length': config.limits.maxMessageBytes,
  });
  server.addService(scoringServiceDefinition, service.implementation());
  health.addToServer(server);
  const flowControl = widenFlowControlWindow(server, config.server.flowControlWindowBytes);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${config.server.host}:${config.server.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err !== null) return reject(err);
      flowControl.afterBind();
      resolve(bound);
    });
  });
  if (flowControl.problem !== undefined) logger.warn({ flowControlWindowBytes: config.server.flowControlWindowBytes, problem: flowControl.problem }, 'cannot widen the HTTP/2 flow-control window; large requests will be slower');
  let stopping = false;
  let stopped: Promise<void> | undefined;
  let metricsServer: MetricsServer | undefined;
  try {
    if (config.metrics.port >= 0) metricsServer = await startMetricsServer(metrics.registry, config.metrics.port, config.metrics.host, () => !stopping);
  } catch (err) {
    server.forceShutdown();
    throw err;
  }
  health.setStatus('', 'SERVING');
  health.setStatus(SCORING_SERVICE_NAME, 'SERVING');
  logger.info({ port, metricsPort: metricsServer?.port, configVersion: deps.scorer.configVersion, modelVersion: deps.scorer.modelVersion, modelsDir: deps.scorer.models?.dir }, 'udf-server listening');

  const shutdown = (graceMs = config.server.shutdownGraceMs): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      if (reload !== undefined) unwatchFile(reload.file, onChange);
      for (const f of watchedModels) unwatchFile(f, onChange);
      if (debounce !== undefined) clearTimeout(debounce);
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(SCORING_SERVICE_NAME, 'NOT_SERVING');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          logger.warn({ graceMs }, 'calls still in flight after the grace period; forcing shutdown');
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await metricsServer?.close();
      logger.info('udf-server stopped');
    })();
    return stopped;
  };
  return {
    port,
    metricsPort: metricsServer?.port,
    get scorer() {
      return deps.scorer;
    },
    metrics,
    shutdown,
  };
}

/** grpc-js internals this reaches into (stable since 1.10; pinned by test/server.test.ts). */
interface GrpcServerInternals {
  commonServerOptions?: { settings?: Settings };
  http2Servers?: Map<Http2Server, unknown>;
}

/**
 * Makes the sidecar advertise a large HTTP/2 receive window (docs/decisions/027). grpc-js has a
 * client option for it (`grpc-node.flow_control_window`) but no server option, and Node's default
 * is 65,535 B per stream AND per connection. A ScoreBundle request is several MB, so the Flink
 * client sent ~32 KB, waited for the sidecar's event loop to read it and answer WINDOW_UPDATE, and
 * repeated: hundreds of cross-process round trips per request, each a scheduler wake-up on a busy
 * machine. Here: the initial SETTINGS carry `initialWindowSize` (per stream) and every new session
 * raises its connection window with `setLocalWindowSize`. Both go through grpc-js private fields;
 * if a grpc-js upgrade removes them, the server still works with the default window and
 * `problem` says why (logged at start).
 */
function widenFlowControlWindow(server: grpc.Server, windowBytes: number): { afterBind(): void; problem: string | undefined } {
  const internals = server as unknown as GrpcServerInternals;
  const result = { problem: undefined as string | undefined, afterBind: (): void => {} };
  if (windowBytes <= 65_535) return result;
  if (internals.commonServerOptions === undefined || internals.http2Servers === undefined) {
    result.problem = 'grpc-js Server has no commonServerOptions/http2Servers (grpc-js changed)';
    return result;
  }
  internals.commonServerOptions.settings = { ...internals.commonServerOptions.settings, initialWindowSize: windowBytes };
  const widen = (session: ServerHttp2Session): void => {
    try {
      session.setLocalWindowSize(windowBytes);
    } catch {
      // a session that is already closing: nothing to widen
    }
  };
  result.afterBind = (): void => {
    for (const http2Server of internals.http2Servers!.keys()) {
      if (!http2Server.listeners('session').includes(widen as never)) http2Server.on('session', widen);
    }
  };
  return result;
}
