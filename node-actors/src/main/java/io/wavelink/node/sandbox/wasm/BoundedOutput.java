package io.wavelink.node.sandbox.wasm;

import java.io.OutputStream;
import java.util.Arrays;

/**
 * The guest's stdout: collects up to {@code limit} bytes and throws {@link OutputLimitExceeded} at
 * the first write that would go beyond, which ends the invocation (WASI's {@code fd_write} turns
 * only {@link java.io.IOException}s into an errno; other exceptions leave the guest).
 *
 * <p>Used by one invocation, on one thread.
 */
final class BoundedOutput extends OutputStream {

  /** Thrown out of the guest's {@code fd_write} when stdout would exceed the limit. */
  static final class OutputLimitExceeded extends RuntimeException {
    OutputLimitExceeded(long limit) {
      super("more than " + limit + " bytes written to stdout", null, false, false);
    }
  }

  private final int limit;
  private byte[] buffer = new byte[256];
  private int size;

  BoundedOutput(int limit) {
    this.limit = limit;
  }

  @Override
  public void write(int b) {
    ensureRoom(1);
    buffer[size++] = (byte) b;
  }

  @Override
  public void write(byte[] bytes, int offset, int length) {
    ensureRoom(length);
    System.arraycopy(bytes, offset, buffer, size, length);
    size += length;
  }

  private void ensureRoom(int length) {
    if (length > limit - size) {
      throw new OutputLimitExceeded(limit);
    }
    if (size + length > buffer.length) {
      int capacity = (int) Math.min(limit, Math.max(size + (long) length, 2L * buffer.length));
      buffer = Arrays.copyOf(buffer, capacity);
    }
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buffer, size);
  }
}
