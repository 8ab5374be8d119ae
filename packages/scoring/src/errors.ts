import { AppError } from '@crypto-anomaly/common';

/**
 * Why a request was refused. Sent to the client as the `reason` trailer next to
 * INVALID_ARGUMENT, and used as a metric label, so it is a small fixed set.
 */
export type ValidationReason =
  | 'BAD_PROTOBUF'
  | 'NO_WINDOWS'
  | 'TOO_LARGE'
  | 'DUPLICATE_STATE'
  | 'MISSING_STATE'
  | 'BAD_KEY'
  | 'BAD_WINDOW_BOUNDS'
  | 'WINDOW_ORDER'
  | 'BAD_ARROW'
  | 'BAD_TRADE'
  | 'BAD_STATE';

/**
 * A malformed request: the client sent something no retry can fix. The service answers
 * INVALID_ARGUMENT with this message, and nothing of the bundle is scored.
 */
export class ValidationError extends AppError {
  constructor(readonly reason: ValidationReason, message: string, options: { cause?: unknown } = {}) {
    super('INVALID_ARGUMENT', message, { retriable: false, ...options });
    this.name = 'ValidationError';
  }
}
