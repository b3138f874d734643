package io.wavelink.node.sandbox.wasm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link PagedMemory} against Chicory's {@link ByteArrayMemory}: the same seeded random sequence of
 * loads, stores, bulk operations, growths and atomics on both gives the same results, the same
 * exceptions (class and message) and the same contents.
 */
class PagedMemoryTest {

  private static final int PAGE = Memory.PAGE_SIZE;
  private static final int STEPS = 30_000;

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 42, 1_000_003, 20_261_201})
  void behavesLikeByteArrayMemoryOnRandomOperations(long seed) {
    Random random = new Random(seed);
    int initial = random.nextInt(3);
    MemoryLimits limits = new MemoryLimits(initial, initial + 1 + random.nextInt(6));
    try (PagePool pool = new PagePool(64L << 20, Duration.ZERO)) {
      ByteArrayMemory expected = new ByteArrayMemory(limits);
      PagedMemory actual = new PagedMemory(limits, pool);
      DataSegment[] segments = {
        new PassiveDataSegment(randomBytes(random, 3 * PAGE / 2)),
        new PassiveDataSegment(randomBytes(random, 100))
      };
      expected.initialize(null, segments.clone());
      actual.initialize(null, segments.clone());
      List<String> kinds = new ArrayList<>();
      for (int step = 0; step < STEPS; step++) {
        Operation op = operation(random, expected.pages(), limits.maximumPages());
        String want = op.applyTo(expected);
        String got = op.applyTo(actual);
        assertEquals(want, got, "step " + step + " (seed " + seed + "): " + op.name);
        assertEquals(expected.pages(), actual.pages(), "pages after step " + step);
        kinds.add(op.name);
      }
      int size = expected.pages() * PAGE;
      assertArrayEquals(expected.readBytes(0, size), actual.readBytes(0, size), "contents");
      // the sequence reached every kind of operation and grew the memory
      assertTrue(kinds.stream().distinct().count() >= 30, "kinds: " + kinds.stream().distinct().toList());
      assertTrue(expected.pages() > initial || expected.pages() == limits.maximumPages());
      actual.release();
    }
  }

  @Test
  void sharedMemoriesWaitAndNotifyLikeByteArrayMemory() {
    MemoryLimits shared = new MemoryLimits(1, 2, true);
    try (PagePool pool = new PagePool(1 << 20, Duration.ZERO)) {
      for (Memory m : List.of(new ByteArrayMemory(shared), new PagedMemory(shared, pool))) {
        m.writeI32(8, 7);
        assertEquals(1, m.atomicWait(8, 6, 1_000_000L), m + ": not equal"); // value differs
        assertEquals(2, m.atomicWait(8, 7, 1_000_000L), m + ": timed out"); // nobody notifies
        assertEquals(2, m.atomicWait(8, 7L, 1_000_000L), m + ": 64-bit, timed out");
        assertEquals(0, m.atomicNotify(8, 1), m + ": nobody waits");
        assertEquals(7, m.atomicAddInt(8, 5));
        assertEquals(12, m.atomicReadInt(8));
      }
    }
  }

  @Test
  void releasedPagesComeBackZeroed() {
    MemoryLimits limits = new MemoryLimits(2, 8);
    try (PagePool pool = new PagePool(1 << 20, Duration.ZERO)) {
      PagedMemory first = new PagedMemory(limits, pool);
      assertEquals(2, first.grow(3));
      first.fill((byte) 0x5A, 0, 5 * PAGE);
      assertEquals(5L * PAGE, first.release());
      assertEquals(0, first.pages());
      assertThrows(WasmRuntimeException.class, () -> first.read(0), "released: every access traps");
      assertEquals(5L * PAGE, pool.pooledBytes());

      PagedMemory second = new PagedMemory(limits, pool);
      assertEquals(2, second.grow(3));
      assertEquals(0, pool.pooledBytes(), "the same five pages, reused");
      assertArrayEquals(new byte[5 * PAGE], second.readBytes(0, 5 * PAGE));
      second.release();
    }
  }

  @Test
  void aGrowthThePoolCannotSupplyThrowsAndKeepsTheMemoryAsItWas() {
    MemoryLimits limits = new MemoryLimits(1, 100);
    try (PagePool pool = new PagePool(4L * PAGE, Duration.ZERO)) {
      PagedMemory memory = new PagedMemory(limits, pool);
      memory.writeI32(0, 42);
      assertThrows(PagePool.Exhausted.class, () -> memory.grow(4));
      assertEquals(1, memory.pages());
      assertEquals(0, memory.refusedGrowthPages(), "the node refused, not the guest's limit");
      assertEquals(42, memory.readInt(0));
      assertEquals(1, memory.grow(3), "what the pool has is still granted");
      assertEquals(-1, memory.grow(200), "beyond the maximum");
      assertEquals(200, memory.refusedGrowthPages());
      assertEquals(4L * PAGE, memory.release());
      assertEquals(0, pool.inUseBytes());
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** One operation, applied alike to both memories; its result or exception as a string. */
  private record Operation(String name, Function<Memory, Object> action) {
    String applyTo(Memory memory) {
      try {
        Object result = action.apply(memory);
        if (result instanceof byte[] bytes) {
          return "bytes " + bytes.length + " #" + Arrays.hashCode(bytes);
        }
        return String.valueOf(result);
      } catch (RuntimeException e) {
        return "threw " + e.getClass().getName() + ": " + e.getMessage();
      }
    }
  }

  private static Operation operation(Random r, int pages, int maxPages) {
    int a = address(r, pages);
    long bits = r.nextLong();
    switch (r.nextInt(36)) {
      case 0:
        return new Operation("read", m -> m.read(a));
      case 1:
        return new Operation("readShort", m -> m.readShort(a));
      case 2:
        return new Operation("readU16", m -> m.readU16(a));
      case 3:
        return new Operation("readInt", m -> m.readInt(a));
      case 4:
        return new Operation("readLong", m -> m.readLong(a));
      case 5:
        return new Operation("readFloat", m -> Float.floatToRawIntBits(m.readFloat(a)));
      case 6:
        return new Operation("readDouble", m -> Double.doubleToRawLongBits(m.readDouble(a)));
      case 7:
        return new Operation("readF32", m -> m.readF32(a));
      case 8:
        return new Operation("readF64", m -> m.readF64(a));
      case 9:
        return new Operation("writeByte", m -> run(() -> m.writeByte(a, (byte) bits)));
      case 10:
        return new Operation("writeShort", m -> run(() -> m.writeShort(a, (short) bits)));
      case 11:
        return new Operation("writeI32", m -> run(() -> m.writeI32(a, (int) bits)));
      case 12:
        return new Operation("writeLong", m -> run(() -> m.writeLong(a, bits)));
      case 13:
        float f = Float.intBitsToFloat((int) bits);
        return new Operation("writeF32", m -> run(() -> m.writeF32(a, f)));
      case 14:
        double d = Double.longBitsToDouble(bits);
        return new Operation("writeF64", m -> run(() -> m.writeF64(a, d)));
      case 15:
        {
          byte[] data = randomBytes(r, r.nextInt(4) == 0 ? r.nextInt(3 * PAGE) : r.nextInt(300));
          int offset = r.nextInt(10) == 0 ? r.nextInt(data.length + 3) - 1 : 0;
          int size = r.nextInt(10) == 0 ? data.length + 1 : data.length - Math.max(0, offset);
          return new Operation("write", m -> run(() -> m.write(a, data, offset, size)));
        }
      case 16:
        {
          int len = r.nextInt(4) == 0 ? r.nextInt(3 * PAGE) : r.nextInt(300);
          return new Operation("readBytes", m -> m.readBytes(a, len));
        }
      case 17:
        {
          int to = r.nextInt(8) == 0 ? a - 1 - r.nextInt(5) : a + length(r);
          byte value = (byte) bits;
          return new Operation("fill", m -> run(() -> m.fill(value, a, to)));
        }
      case 18:
        {
          int src = r.nextBoolean() ? a + r.nextInt(200) - 100 : address(r, pages);
          int size = length(r);
          return new Operation("copy", m -> run(() -> m.copy(a, src, size)));
        }
      case 19:
        {
          int[] sizes = {0, 1, 1, 2, r.nextInt(3), maxPages, -1, Integer.MIN_VALUE};
          int n = sizes[r.nextInt(sizes.length)];
          return new Operation("grow", m -> m.grow(n));
        }
      case 20:
        {
          int dest = a;
          int offset = r.nextInt(PAGE);
          int size = r.nextInt(5) == 0 ? 3 * PAGE : r.nextInt(2000);
          return new Operation(
              "initPassiveSegment", m -> run(() -> m.initPassiveSegment(0, dest, offset, size)));
        }
      case 21:
        return new Operation("zero", m -> run(m::zero));
      case 22:
        return new Operation("pages", Memory::pages);
      case 23:
        return new Operation("readCString", m -> m.readCString(a).length());
      case 24:
        return new Operation("drop", m -> run(() -> m.drop(1)));
      default:
        return atomic(r, a & ~7, bits);
    }
  }

  /** Atomics on aligned addresses (the interpreter and the compiler check alignment first). */
  private static Operation atomic(Random r, int a, long v) {
    switch (r.nextInt(12)) {
      case 0:
        return new Operation("atomicReadInt", m -> m.atomicReadInt(a));
      case 1:
        return new Operation("atomicReadLong", m -> m.atomicReadLong(a));
      case 2:
        return new Operation("atomicWriteShort", m -> run(() -> m.atomicWriteShort(a, (short) v)));
      case 3:
        return new Operation("atomicWriteLong", m -> run(() -> m.atomicWriteLong(a, v)));
      case 4:
        return new Operation("atomicAddInt", m -> m.atomicAddInt(a, (int) v));
      case 5:
        return new Operation("atomicXorLong", m -> m.atomicXorLong(a, v));
      case 6:
        return new Operation("atomicOrByte", m -> m.atomicOrByte(a + 3, (byte) v));
      case 7:
        return new Operation(
            "atomicCmpxchgInt", m -> m.atomicCmpxchgInt(a, (int) v, (int) (v >>> 32)));
      case 8:
        return new Operation("atomicXchgShort", m -> m.atomicXchgShort(a + 2, (short) v));
      case 9:
        return new Operation("atomicAndLong", m -> m.atomicAndLong(a, v));
      case 10:
        return new Operation("atomicNotify", m -> m.atomicNotify(a, 1));
      default:
        return new Operation("atomicWait", m -> m.atomicWait(a, (int) v, 1));
    }
  }

  /** Addresses that matter: anywhere, at page boundaries, at the end, negative, huge. */
  private static int address(Random r, int pages) {
    int size = pages * PAGE;
    switch (r.nextInt(8)) {
      case 0:
      case 1:
      case 2:
        return size == 0 ? r.nextInt(16) : r.nextInt(size);
      case 3:
        return (r.nextInt(pages + 2)) * PAGE + r.nextInt(20) - 10;
      case 4:
        return size + r.nextInt(20) - 12;
      case 5:
        return -1 - r.nextInt(16);
      case 6:
        return r.nextBoolean() ? Integer.MAX_VALUE - r.nextInt(16) : Integer.MIN_VALUE + r.nextInt(16);
      default:
        return r.nextInt(8) * PAGE + r.nextInt(PAGE);
    }
  }

  private static int length(Random r) {
    switch (r.nextInt(4)) {
      case 0:
        return r.nextInt(16);
      case 1:
        return r.nextInt(3 * PAGE);
      case 2:
        return -1 - r.nextInt(3);
      default:
        return r.nextInt(400);
    }
  }

  private static byte[] randomBytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  private static Object run(Runnable action) {
    action.run();
    return "ok";
  }
}
