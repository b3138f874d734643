package io.wavelink.node.sandbox.wasm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OutputsTest {

  @Test
  void boundedOutputKeepsEverythingUpToTheLimitAndRefusesMore() {
    BoundedOutput out = new BoundedOutput(10);
    out.write("hello".getBytes(StandardCharsets.US_ASCII), 0, 5);
    out.write('!');
    out.write("abcd".getBytes(StandardCharsets.US_ASCII), 0, 4);
    assertArrayEquals("hello!abcd".getBytes(StandardCharsets.US_ASCII), out.toByteArray());
    assertThrows(BoundedOutput.OutputLimitExceeded.class, () -> out.write('x'));
    assertArrayEquals("hello!abcd".getBytes(StandardCharsets.US_ASCII), out.toByteArray());
  }

  @Test
  void boundedOutputGrowsPastItsInitialBuffer() {
    BoundedOutput out = new BoundedOutput(100_000);
    byte[] chunk = new byte[700];
    for (int i = 0; i < 100; i++) {
      chunk[0] = (byte) i;
      out.write(chunk, 0, chunk.length);
    }
    assertEquals(70_000, out.toByteArray().length);
    assertEquals(99, out.toByteArray()[69_300]);
  }

  @Test
  void tailOutputKeepsTheLastBytes() {
    TailOutput tail = new TailOutput(8);
    write(tail, "abc");
    assertEquals("abc", tail.tail());
    write(tail, "defgh");
    assertEquals("abcdefgh", tail.tail());
    write(tail, "ij");
    assertEquals("cdefghij", tail.tail());
    tail.write('k');
    assertEquals("defghijk", tail.tail());
    write(tail, "0123456789xyz");
    assertEquals("56789xyz", tail.tail());
    assertEquals(24, tail.written());
  }

  @Test
  void tailOutputOfZeroKeepsNothing() {
    TailOutput tail = new TailOutput(0);
    write(tail, "abc");
    tail.write('d');
    assertEquals("", tail.tail());
    assertEquals(4, tail.written());
  }

  private static void write(TailOutput tail, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
    tail.write(bytes, 0, bytes.length);
  }
}
