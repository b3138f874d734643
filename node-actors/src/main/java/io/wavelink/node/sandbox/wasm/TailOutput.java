package io.wavelink.node.sandbox.wasm;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The guest's stderr: keeps the last {@code capacity} bytes written (a ring buffer) and never
 * fails, so a guest that logs a lot keeps running and the most recent lines, the ones that explain
 * a failure, survive.
 *
 * <p>Used by one invocation, on one thread.
 */
final class TailOutput extends OutputStream {

  private final byte[] ring;
  private long written;

  TailOutput(int capacity) {
    this.ring = new byte[capacity];
  }

  @Override
  public void write(int b) {
    if (ring.length == 0) {
      written++;
      return;
    }
    ring[(int) (written++ % ring.length)] = (byte) b;
  }

  @Override
  public void write(byte[] bytes, int offset, int length) {
    int capacity = ring.length;
    if (capacity == 0) {
      written += length;
      return;
    }
    if (length >= capacity) {
      // only the last `capacity` bytes can survive
      offset += length - capacity;
      written += length - capacity;
      length = capacity;
    }
    int start = (int) (written % capacity);
    int first = Math.min(length, capacity - start);
    System.arraycopy(bytes, offset, ring, start, first);
    System.arraycopy(bytes, offset + first, ring, 0, length - first);
    written += length;
  }

  /** Total bytes the guest wrote, including those no longer kept. */
  long written() {
    return written;
  }

  /** The kept tail decoded as UTF-8 (a character cut at the start becomes U+FFFD). */
  String tail() {
    int capacity = ring.length;
    if (capacity == 0) {
      return "";
    }
    if (written <= capacity) {
      return new String(ring, 0, (int) written, StandardCharsets.UTF_8);
    }
    int start = (int) (written % capacity);
    byte[] ordered = new byte[capacity];
    System.arraycopy(ring, start, ordered, 0, capacity - start);
    System.arraycopy(ring, 0, ordered, capacity - start, start);
    return new String(ordered, StandardCharsets.UTF_8);
  }
}
