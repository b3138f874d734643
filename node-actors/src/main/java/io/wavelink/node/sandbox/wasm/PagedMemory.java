package io.wavelink.node.sandbox.wasm;

import static com.dylibso.chicory.runtime.ConstantEvaluators.computeConstantValue;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * One invocation's linear memory, in 64 KiB pages off the Java heap taken from the node's {@link
 * PagePool}: the pages of the initial size when the instance is built, more on each {@code
 * memory.grow}, all given back (zeroed) by {@link #release} when the invocation ends. So a
 * memory-hungry function allocates nothing on the heap for its memory, and what it touched is
 * reused, zeroed, by the next invocation.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>Behaves as Chicory's {@code ByteArrayMemory} of the same limits (checked by {@code
 *       PagedMemoryTest} on random operations): little-endian, every access bounds-checked, an
 *       access outside the memory throws {@link WasmRuntimeException} ("out of bounds memory
 *       access", a trap), a data segment outside it {@link UninstantiableException}; {@code
 *       memory.grow} beyond {@link #maximumPages()} returns -1.
 *   <li>Remembers the guest's largest refused {@code memory.grow} ({@link #refusedGrowthPages()}),
 *       so that a failure after it is reported as a memory error rather than as the trap or exit
 *       the guest ended with.
 *   <li>When the pool cannot supply a page (the node's memory is exhausted), the instantiation or
 *       the {@code memory.grow} throws {@link PagePool.Exhausted}, which ends the invocation.
 *   <li>Confined to the thread of its invocation: WaveLink provides no {@code thread-spawn}, so no
 *       other thread can run the guest's code. Reads and writes take no lock and allocate nothing.
 *       Atomic instructions (allowed on any memory by the threads proposal) are therefore plain
 *       read-modify-writes through {@link #lock}; {@code memory.atomic.wait} on a shared memory
 *       waits out its timeout (no other thread can notify it; the invocation's deadline interrupts
 *       it), on an unshared one it traps; {@code memory.atomic.notify} wakes nobody. That is what
 *       {@code ByteArrayMemory} does for a single thread.
 *   <li>After {@link #release} the memory has no pages: every access traps.
 * </ul>
 */
final class PagedMemory implements Memory {

  private static final int PAGE_SHIFT = 16;
  private static final int PAGE_MASK = PAGE_SIZE - 1;
  private static final ByteBuffer[] NO_PAGES = new ByteBuffer[0];

  private final MemoryLimits limits;
  private final int maximumPages;
  private final PagePool pool;
  private DataSegment[] dataSegments;

  /** Pages 0..pageCount-1 are in use; the slots after them are null. Grows by doubling. */
  private ByteBuffer[] pages;

  private int pageCount;
  private long refusedGrowthPages;

  /**
   * Takes the memory's initial pages from {@code pool}.
   *
   * @throws PagePool.Exhausted when the pool cannot supply them
   */
  PagedMemory(MemoryLimits limits, PagePool pool) {
    this.limits = limits;
    this.maximumPages = Math.min(limits.maximumPages(), RUNTIME_MAX_PAGES);
    this.pool = pool;
    int initial = limits.initialPages();
    if (initial > maximumPages) {
      throw new ChicoryException(
          "initial memory of " + initial + " pages is beyond the maximum of " + maximumPages);
    }
    this.pages = initial == 0 ? NO_PAGES : new ByteBuffer[initial];
    pool.acquire(pages, 0, initial);
    this.pageCount = initial;
  }

  /**
   * Pages the guest asked for in its largest refused {@code memory.grow}; 0 if none was refused.
   */
  long refusedGrowthPages() {
    return refusedGrowthPages;
  }

  /**
   * Gives every page back to the pool (which zeroes it); the memory is empty afterwards. Idempotent.
   *
   * @return the most memory the guest held, in bytes (the memory never shrinks, so its size now)
   */
  long release() {
    long held = (long) pageCount * PAGE_SIZE;
    ByteBuffer[] returned = pages;
    int count = pageCount;
    pages = NO_PAGES;
    pageCount = 0;
    pool.release(returned, 0, count);
    return held;
  }

  @Override
  public int pages() {
    return pageCount;
  }

  @Override
  public int grow(int size) {
    int previous = pageCount;
    int wanted = previous + size;
    if (wanted > maximumPages || wanted < previous) {
      refusedGrowthPages = Math.max(refusedGrowthPages, Integer.toUnsignedLong(size));
      return -1;
    }
    if (wanted > pages.length) {
      int capacity = (int) Math.min(maximumPages, Math.max(wanted, 2L * pages.length));
      pages = Arrays.copyOf(pages, capacity);
    }
    pool.acquire(pages, previous, size);
    pageCount = wanted;
    return previous;
  }

  @Override
  public int initialPages() {
    return limits.initialPages();
  }

  @Override
  public int maximumPages() {
    return maximumPages;
  }

  @Override
  public boolean shared() {
    return limits.shared();
  }

  // --- instantiation ---------------------------------------------------------------------------

  @Override
  public void initialize(Instance instance, DataSegment[] dataSegments) {
    initialize(instance, dataSegments, 0);
  }

  @Override
  public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {
    this.dataSegments = dataSegments;
    if (dataSegments == null) {
      return;
    }
    for (DataSegment s : dataSegments) {
      if (s instanceof ActiveDataSegment segment) {
        if (segment.index() != memoryIndex) {
          continue;
        }
        byte[] data = segment.data();
        int offset = (int) computeConstantValue(instance, segment.offsetInstructions())[0];
        checkBounds(offset, data.length, sizeInBytes(), UninstantiableException::new);
        write(offset, data, 0, data.length);
      } else if (!(s instanceof PassiveDataSegment)) {
        throw new ChicoryException("Data segment should be active or passive: " + s);
      }
    }
  }

  @Override
  public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
    write(dest, dataSegments[segmentId].data(), offset, size);
  }

  @Override
  public void drop(int segment) {
    dataSegments[segment] = PassiveDataSegment.EMPTY;
  }

  // --- bounds ----------------------------------------------------------------------------------

  private int sizeInBytes() {
    return pageCount * PAGE_SIZE;
  }

  private static void checkBounds(
      int addr, int size, int limit, Function<String, ChicoryException> exception) {
    if (addr < 0 || size < 0 || addr > limit || (size > 0 && addr + size > limit)) {
      throw exception.apply(
          "out of bounds memory access: attempted to access address: "
              + addr
              + " but limit is: "
              + limit
              + " and size: "
              + size);
    }
  }

  /**
   * The trap for an access that a page lookup refused: a null page (beyond the memory), an index
   * outside the page table (beyond the maximum, or a negative address) or outside the page.
   */
  private RuntimeException outOfBounds(RuntimeException e, int addr, int size) {
    if (e instanceof IndexOutOfBoundsException
        || e instanceof IllegalArgumentException
        || e instanceof NullPointerException) {
      return new WasmRuntimeException(
          "out of bounds memory access: attempted to access address: "
              + addr
              + " but limit is: "
              + sizeInBytes()
              + " and size: "
              + size);
    }
    return e;
  }

  // --- bulk ------------------------------------------------------------------------------------

  @Override
  public void write(int addr, byte[] data, int offset, int size) {
    checkBounds(offset, size, data.length, WasmRuntimeException::new);
    checkBounds(addr, size, sizeInBytes(), WasmRuntimeException::new);
    while (size > 0) {
      int inPage = addr & PAGE_MASK;
      int chunk = Math.min(size, PAGE_SIZE - inPage);
      pages[addr >>> PAGE_SHIFT].put(inPage, data, offset, chunk);
      addr += chunk;
      offset += chunk;
      size -= chunk;
    }
  }

  @Override
  public byte[] readBytes(int addr, int len) {
    checkBounds(addr, len, sizeInBytes(), WasmRuntimeException::new);
    byte[] result = new byte[len];
    int at = 0;
    while (at < len) {
      int inPage = addr & PAGE_MASK;
      int chunk = Math.min(len - at, PAGE_SIZE - inPage);
      pages[addr >>> PAGE_SHIFT].get(inPage, result, at, chunk);
      addr += chunk;
      at += chunk;
    }
    return result;
  }

  @Override
  public void zero() {
    fill((byte) 0, 0, sizeInBytes());
  }

  @Override
  public void fill(byte value, int fromIndex, int toIndex) {
    int addr = fromIndex;
    int remaining = toIndex - fromIndex;
    checkBounds(addr, remaining, sizeInBytes(), WasmRuntimeException::new);
    while (remaining > 0) {
      int inPage = addr & PAGE_MASK;
      int chunk = Math.min(remaining, PAGE_SIZE - inPage);
      PagePool.fill(pages[addr >>> PAGE_SHIFT], inPage, inPage + chunk, value);
      addr += chunk;
      remaining -= chunk;
    }
  }

  @Override
  public void copy(int dest, int src, int size) {
    int limit = sizeInBytes();
    checkBounds(dest, size, limit, WasmRuntimeException::new);
    checkBounds(src, size, limit, WasmRuntimeException::new);
    if (dest > src && dest < src + size) {
      // overlapping, destination after the source: copy from the end, chunk by chunk
      dest += size;
      src += size;
      while (size > 0) {
        int destInPage = dest & PAGE_MASK;
        int srcInPage = src & PAGE_MASK;
        int chunk =
            Math.min(
                size,
                Math.min(
                    destInPage == 0 ? PAGE_SIZE : destInPage,
                    srcInPage == 0 ? PAGE_SIZE : srcInPage));
        dest -= chunk;
        src -= chunk;
        pages[dest >>> PAGE_SHIFT].put(
            dest & PAGE_MASK, pages[src >>> PAGE_SHIFT], src & PAGE_MASK, chunk);
        size -= chunk;
      }
    } else {
      while (size > 0) {
        int destInPage = dest & PAGE_MASK;
        int srcInPage = src & PAGE_MASK;
        int chunk = Math.min(size, PAGE_SIZE - Math.max(destInPage, srcInPage));
        pages[dest >>> PAGE_SHIFT].put(destInPage, pages[src >>> PAGE_SHIFT], srcInPage, chunk);
        dest += chunk;
        src += chunk;
        size -= chunk;
      }
    }
  }

  // --- loads and stores (the hot path: no allocation, no lock) ---------------------------------

  @Override
  public byte read(int addr) {
    try {
      return pages[addr >>> PAGE_SHIFT].get(addr & PAGE_MASK);
    } catch (RuntimeException e) {
      throw outOfBounds(e, addr, 1);
    }
  }

  @Override
  public void writeByte(int addr, byte data) {
    try {
      pages[addr >>> PAGE_SHIFT].put(addr & PAGE_MASK, data);
    } catch (RuntimeException e) {
      throw outOfBounds(e, addr, 1);
    }
  }

  @Override
  public short readShort(int addr) {
    int off = addr & PAGE_MASK;
    if (off <= PAGE_SIZE - 2) {
      try {
        return pages[addr >>> PAGE_SHIFT].getShort(off);
      } catch (RuntimeException e) {
        throw outOfBounds(e, addr, 2);
      }
    }
    return (short) ((read(addr) & 0xFF) | ((read(addr + 1) & 0xFF) << 8));
  }

  @Override
  public long readU16(int addr) {
    return readShort(addr) & 0xFFFFL;
  }

  @Override
  public void writeShort(int addr, short data) {
    int off = addr & PAGE_MASK;
    if (off <= PAGE_SIZE - 2) {
      try {
        pages[addr >>> PAGE_SHIFT].putShort(off, data);
        return;
      } catch (RuntimeException e) {
        throw outOfBounds(e, addr, 2);
      }
    }
    checkBounds(addr, 2, sizeInBytes(), WasmRuntimeException::new);
    writeByte(addr, (byte) data);
    writeByte(addr + 1, (byte) (data >>> 8));
  }

  @Override
  public int readInt(int addr) {
    int off = addr & PAGE_MASK;
    if (off <= PAGE_SIZE - 4) {
      try {
        return pages[addr >>> PAGE_SHIFT].getInt(off);
      } catch (RuntimeException e) {
        throw outOfBounds(e, addr, 4);
      }
    }
    return (read(addr) & 0xFF)
        | ((read(addr + 1) & 0xFF) << 8)
        | ((read(addr + 2) & 0xFF) << 16)
        | ((read(addr + 3) & 0xFF) << 24);
  }

  @Override
  public void writeI32(int addr, int data) {
    int off = addr & PAGE_MASK;
    if (off <= PAGE_SIZE - 4) {
      try {
        pages[addr >>> PAGE_SHIFT].putInt(off, data);
        return;
      } catch (RuntimeException e) {
        throw outOfBounds(e, addr, 4);
      }
    }
    checkBounds(addr, 4, sizeInBytes(), WasmRuntimeException::new);
    for (int i = 0; i < 4; i++) {
      writeByte(addr + i, (byte) (data >>> (8 * i)));
    }
  }

  @Override
  public long readLong(int addr) {
    int off = addr & PAGE_MASK;
    if (off <= PAGE_SIZE - 8) {
      try {
        return pages[addr >>> PAGE_SHIFT].getLong(off);
      } catch (RuntimeException e) {
        throw outOfBounds(e, addr, 8);
      }
    }
    long value = 0;
    for (int i = 0; i < 8; i++) {
      value |= (read(addr + i) & 0xFFL) << (8 * i);
    }
    return value;
  }

  @Override
  public void writeLong(int addr, long data) {
    int off = addr & PAGE_MASK;
    if (off <= PAGE_SIZE - 8) {
      try {
        pages[addr >>> PAGE_SHIFT].putLong(off, data);
        return;
      } catch (RuntimeException e) {
        throw outOfBounds(e, addr, 8);
      }
    }
    checkBounds(addr, 8, sizeInBytes(), WasmRuntimeException::new);
    for (int i = 0; i < 8; i++) {
      writeByte(addr + i, (byte) (data >>> (8 * i)));
    }
  }

  @Override
  public float readFloat(int addr) {
    return Float.intBitsToFloat(readInt(addr));
  }

  @Override
  public long readF32(int addr) {
    return readInt(addr);
  }

  @Override
  public void writeF32(int addr, float data) {
    writeI32(addr, Float.floatToRawIntBits(data));
  }

  @Override
  public double readDouble(int addr) {
    return Double.longBitsToDouble(readLong(addr));
  }

  @Override
  public long readF64(int addr) {
    return readLong(addr);
  }

  @Override
  public void writeF64(int addr, double data) {
    writeLong(addr, Double.doubleToRawLongBits(data));
  }

  // --- atomics (one thread: see the class comment) ---------------------------------------------

  /** The monitor of {@link Memory}'s atomic read-modify-writes: this memory, never contended. */
  @Override
  @SuppressWarnings("removal") // still abstract in Memory
  public Object lock(int address) {
    return this;
  }

  @Override
  @SuppressWarnings("removal") // still abstract in Memory
  public int waitOn(int address, int expected, long timeout) {
    requireShared();
    return readInt(address) == expected ? waitOut(timeout) : 1;
  }

  @Override
  @SuppressWarnings("removal") // still abstract in Memory
  public int waitOn(int address, long expected, long timeout) {
    requireShared();
    return readLong(address) == expected ? waitOut(timeout) : 1;
  }

  @Override
  @SuppressWarnings("removal") // still abstract in Memory
  public int notify(int address, int maxThreads) {
    return 0; // no other thread can be waiting
  }

  private void requireShared() {
    if (!shared()) {
      throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
    }
  }

  /** Waits {@code timeout} ns (forever if negative) for a notify that cannot come: 2, timed out. */
  private static int waitOut(long timeout) {
    long deadline = timeout < 0 ? Long.MAX_VALUE : System.nanoTime() + timeout;
    while (true) {
      if (Thread.currentThread().isInterrupted()) {
        throw new ChicoryInterruptedException("Thread interrupted");
      }
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        return 2;
      }
      LockSupport.parkNanos(remaining);
    }
  }

  @Override
  public String toString() {
    return "PagedMemory[pages=" + pageCount + ", maximum=" + maximumPages + "]";
  }
}
