export { LoggedProcess, pollUntil, type SpawnLoggedOptions } from './child.js';
export { Sidecar, checkHealth, UDF_SERVER_MAIN, type SidecarOptions } from './sidecar.js';
export { FlinkJob, latestCheckpointIn, type FlinkJobArgs, type FlinkJobOptions, type CheckpointStats, type CompletedCheckpoint } from './flink.js';
export { shiftingLoop, shiftMessage, TapeSpan, type PassShift } from './tape.js';
export { DEFAULT_LOG_DIR, DEFAULT_CHECKPOINT_DIR, FLINK_RUN_LOCAL } from './paths.js';
