import { join } from 'node:path';
import { REPO_ROOT } from '@crypto-anomaly/devkit';

/** Where the pieces' logs go unless told otherwise: var/log (git-ignored). */
export const DEFAULT_LOG_DIR = join(REPO_ROOT, 'var', 'log');
/** The Flink job's default checkpoint directory (JobConfig's default, made absolute). */
export const DEFAULT_CHECKPOINT_DIR = join(REPO_ROOT, 'var', 'flink-checkpoints');
/** Runs the job on a local MiniCluster in one JVM; its pid is the JVM's (it execs java). */
export const FLINK_RUN_LOCAL = join(REPO_ROOT, 'flink-job', 'bin', 'run-local.sh');
