package io.cryptoanomaly.flink.scoring;

/**
 * Scoring failed. {@link #retriable()} is true when the same request may succeed later (the
 * sidecar was unavailable, slow or overloaded) and false when it cannot (a malformed request, a
 * response that breaks the contract). Either way the operator fails the job when this reaches it:
 * a scorer retries internally first, and the job's restart strategy takes over from there.
 */
public class ScoringException extends Exception {
  private static final long serialVersionUID = 1L;

  private final boolean retriable;

  public ScoringException(boolean retriable, String message, Throwable cause) {
    super(message, cause);
    this.retriable = retriable;
  }

  public ScoringException(boolean retriable, String message) {
    this(retriable, message, null);
  }

  public boolean retriable() {
    return retriable;
  }
}
