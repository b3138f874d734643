package io.wavelink.node.sandbox;

/**
 * A function's module cannot run in the sandbox: it is not WebAssembly, is not a valid module, is
 * not a WASI command (no exported {@code _start} function), imports something the sandbox does not
 * provide, or needs more memory than the function's limit.
 *
 * <p>The message is written for the function's author and says what is wrong; the deploy API
 * returns it with an HTTP 400.
 */
public final class InvalidModuleException extends Exception {

  public InvalidModuleException(String message) {
    super(message);
  }

  public InvalidModuleException(String message, Throwable cause) {
    super(message, cause);
  }
}
