export { LoggedProcess, pollUntil, type SpawnLoggedOptions } from './child.js';
export { Sidecar, checkHealth, withModels, UDF_SERVER_MAIN, type SidecarOptions } from './sidecar.js';
export { ensureModels, MODELS_CACHE_DIR, type DefaultModels } from './models.js';
export { FlinkJob, latestCheckpointIn, type FlinkJobArgs, type FlinkJobOptions, type CheckpointStats, type CompletedCheckpoint } from './flink.js';
export { shiftingLoop, shiftMessage, TapeSpan, type PassShift } from './tape.js';
export { DEFAULT_LOG_DIR, DEFAULT_CHECKPOINT_DIR, FLINK_RUN_LOCAL } from './paths.js';
