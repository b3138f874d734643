package io.wavelink.loadgen;

/** A bad command line: {@link Main} prints the message and the usage, and exits with status 2. */
public final class UsageException extends LoadgenException {

  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }
}
