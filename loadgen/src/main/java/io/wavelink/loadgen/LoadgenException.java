package io.wavelink.loadgen;

/**
 * A problem the user can act on: a malformed trace, an unreachable gateway, a rejected deploy, a
 * bad option. {@link Main} prints its message (never a stack trace) and exits non-zero.
 */
public class LoadgenException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public LoadgenException(String message) {
    super(message);
  }

  public LoadgenException(String message, Throwable cause) {
    super(message, cause);
  }
}
