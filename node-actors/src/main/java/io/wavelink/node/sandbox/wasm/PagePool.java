package io.wavelink.node.sandbox.wasm;

import com.dylibso.chicory.runtime.Memory;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's 64 KiB pages of WebAssembly linear memory, off the Java heap: direct, little-endian
 * {@link ByteBuffer}s of {@link Memory#PAGE_SIZE} bytes that every invocation's {@link
 * PagedMemory} takes when it needs them (instantiation, {@code memory.grow}) and gives back when
 * the invocation ends.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li><b>Zeroed.</b> Every page that {@link #acquire} hands out is all zeros: a new page is zeroed
 *       by the JVM, and {@link #release} zeroes a page before it goes back to the pool. So no guest
 *       ever sees what another guest (or an earlier invocation of the same one) wrote.
 *   <li><b>Bounded.</b> At most {@link #limitBytes()} of pages exist at once (in use and pooled).
 *       {@link #acquire} reuses pooled pages first, allocates new ones up to the limit, and throws
 *       {@link Exhausted} when the limit, or the JVM's direct memory, cannot supply them; it takes
 *       all the pages asked for or none.
 *   <li><b>Trimmed.</b> A page that stayed in the pool for a whole {@code idleTime} is freed (its
 *       native memory released at once with {@code Unsafe.invokeCleaner}, not at the next garbage
 *       collection), so an idle node gives its memory back: {@link #trim} runs every {@code
 *       idleTime} on a daemon thread of the pool, and frees the pages that were in the pool during
 *       the whole time since the previous run (the pool is a stack, so these are its bottom pages),
 *       so an idle page lives between one and two {@code idleTime}s.
 *   <li><b>Thread-safe.</b> Any number of sandbox threads acquire and release at once; one lock
 *       guards the bookkeeping, taken once per {@link #acquire} or {@link #release} of any number of
 *       pages. Zeroing and allocating happen outside the lock.
 * </ul>
 *
 * A page is used by one invocation at a time: the caller must not touch a page after releasing it.
 */
final class PagePool implements AutoCloseable {

  /** Bytes in a page: WebAssembly's 64 KiB. */
  static final int PAGE_SIZE = Memory.PAGE_SIZE;

  private static final Logger log = LoggerFactory.getLogger(PagePool.class);

  private static final int PATTERN_SIZE = 4096;

  /** 4 KiB of one byte value each, made on first use: the source of zeroing and filling. */
  private static final AtomicReferenceArray<byte[]> PATTERNS = new AtomicReferenceArray<>(256);

  private static final Method INVOKE_CLEANER;
  private static final Object UNSAFE;

  static {
    Object unsafe = null;
    Method invokeCleaner = null;
    try {
      Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
      Field field = unsafeClass.getDeclaredField("theUnsafe");
      field.setAccessible(true);
      unsafe = field.get(null);
      invokeCleaner = unsafeClass.getMethod("invokeCleaner", ByteBuffer.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn(
          "sun.misc.Unsafe.invokeCleaner is not available ({}): freed linear-memory pages are"
              + " returned to the system at the next garbage collection instead of at once",
          e.toString());
    }
    UNSAFE = unsafe;
    INVOKE_CLEANER = invokeCleaner;
  }

  private final long limitPages;
  private final Duration idleTime;
  private final ScheduledThreadPoolExecutor trimmer;

  // guarded by this
  private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
  private long allocatedPages; // in use + free (+ being allocated by an acquire)
  private long inUsePages;
  private int idleSinceTrim; // fewest pages in the pool since the last trim
  private boolean closed;

  /**
   * @param limitBytes the most page memory that may exist at once; rounded down to whole pages
   * @param idleTime how long a page may stay unused in the pool before it is freed; zero: never
   *     on a schedule (only when {@link #trim} is called)
   */
  PagePool(long limitBytes, Duration idleTime) {
    if (limitBytes < 0) {
      throw new IllegalArgumentException("limitBytes must not be negative, was " + limitBytes);
    }
    if (idleTime.isNegative()) {
      throw new IllegalArgumentException("idleTime must not be negative, was " + idleTime);
    }
    this.limitPages = limitBytes / PAGE_SIZE;
    this.idleTime = idleTime;
    if (idleTime.isZero()) {
      trimmer = null;
    } else {
      trimmer =
          new ScheduledThreadPoolExecutor(
              1,
              task -> {
                Thread t = new Thread(task, "wavelink-page-pool-trim");
                t.setDaemon(true);
                return t;
              });
      long period = idleTime.toNanos();
      trimmer.scheduleWithFixedDelay(this::trimQuietly, period, period, TimeUnit.NANOSECONDS);
    }
  }

  /** The most page memory that may exist at once, in bytes. */
  long limitBytes() {
    return limitPages * PAGE_SIZE;
  }

  /** Bytes of pages held by invocations now. */
  synchronized long inUseBytes() {
    return inUsePages * PAGE_SIZE;
  }

  /** Bytes of free pages kept for reuse now (all zero). */
  synchronized long pooledBytes() {
    return (long) free.size() * PAGE_SIZE;
  }

  /**
   * Puts {@code count} zeroed pages into {@code into[from..from+count)}: pooled pages first, then
   * new ones.
   *
   * @throws Exhausted when the pool's limit or the JVM's direct memory cannot supply them; then no
   *     page was taken
   */
  void acquire(ByteBuffer[] into, int from, int count) {
    if (count <= 0) {
      return;
    }
    int reused = 0;
    int fresh;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the page pool is closed");
      }
      while (reused < count && !free.isEmpty()) {
        into[from + reused++] = free.pop();
      }
      idleSinceTrim = Math.min(idleSinceTrim, free.size());
      fresh = count - reused;
      if (allocatedPages + fresh > limitPages) {
        for (int i = reused - 1; i >= 0; i--) {
          free.push(into[from + i]);
          into[from + i] = null;
        }
        throw new Exhausted(
            "the node's linear memory is exhausted: "
                + count
                + " more pages of 64 KiB were needed, "
                + mib(inUsePages)
                + " MiB of its "
                + mib(limitPages)
                + " MiB are in use by invocations");
      }
      allocatedPages += fresh;
      inUsePages += count;
    }
    int made = 0;
    try {
      for (; made < fresh; made++) {
        into[from + reused + made] = ByteBuffer.allocateDirect(PAGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
      }
    } catch (OutOfMemoryError e) {
      // the JVM's direct memory (-XX:MaxDirectMemorySize) ran out before the pool's limit: give
      // back everything this call took (the new pages are zero, the reused ones still are)
      synchronized (this) {
        allocatedPages -= fresh - made;
        inUsePages -= count;
        for (int i = reused + made - 1; i >= 0; i--) {
          free.push(into[from + i]);
          into[from + i] = null;
        }
      }
      Exhausted exhausted =
          new Exhausted(
              "the JVM's direct memory is exhausted (raise -XX:MaxDirectMemorySize or lower"
                  + " wavelink.node.capacity-mb): "
                  + e.getMessage());
      exhausted.initCause(e);
      throw exhausted;
    }
  }

  /**
   * Zeroes {@code pages[from..from+count)} and gives them back to the pool (or frees them once the
   * pool is closed), and clears those slots of the array.
   */
  void release(ByteBuffer[] pages, int from, int count) {
    if (count <= 0) {
      return;
    }
    for (int i = from; i < from + count; i++) {
      fill(pages[i], 0, PAGE_SIZE, (byte) 0);
    }
    boolean freeThem;
    synchronized (this) {
      inUsePages -= count;
      freeThem = closed;
      if (closed) {
        allocatedPages -= count;
      } else {
        for (int i = from; i < from + count; i++) {
          free.push(pages[i]);
        }
      }
    }
    for (int i = from; i < from + count; i++) {
      if (freeThem) {
        freeNow(pages[i]);
      }
      pages[i] = null;
    }
  }

  /**
   * Frees the pages that stayed in the pool since the previous call (or since the pool was made).
   *
   * @return how many pages were freed
   */
  int trim() {
    ByteBuffer[] idle;
    synchronized (this) {
      int n = Math.min(idleSinceTrim, free.size());
      idle = new ByteBuffer[n];
      for (int i = 0; i < n; i++) {
        idle[i] = free.removeLast();
      }
      allocatedPages -= n;
      idleSinceTrim = free.size();
    }
    for (ByteBuffer page : idle) {
      freeNow(page);
    }
    if (idle.length > 0) {
      log.debug(
          "freed {} MiB of linear-memory pages idle for {}; {} MiB pooled, {} MiB in use",
          mib(idle.length),
          idleTime,
          pooledBytes() >> 20,
          inUseBytes() >> 20);
    }
    return idle.length;
  }

  private void trimQuietly() {
    try {
      trim();
    } catch (RuntimeException e) {
      log.warn("trimming the linear-memory page pool failed", e);
    }
  }

  /** Stops trimming and frees every pooled page; pages still in use are freed when released. */
  @Override
  public void close() {
    if (trimmer != null) {
      trimmer.shutdownNow();
    }
    ByteBuffer[] pooled;
    synchronized (this) {
      closed = true;
      pooled = free.toArray(new ByteBuffer[0]);
      free.clear();
      allocatedPages -= pooled.length;
      idleSinceTrim = 0;
    }
    for (ByteBuffer page : pooled) {
      freeNow(page);
    }
  }

  /** Sets {@code page[from..to)} to {@code value} with bulk copies (no allocation). */
  static void fill(ByteBuffer page, int from, int to, byte value) {
    byte[] pattern = pattern(value);
    for (int at = from; at < to; at += PATTERN_SIZE) {
      page.put(at, pattern, 0, Math.min(PATTERN_SIZE, to - at));
    }
  }

  private static byte[] pattern(byte value) {
    int i = value & 0xFF;
    byte[] pattern = PATTERNS.get(i);
    if (pattern == null) {
      pattern = new byte[PATTERN_SIZE];
      java.util.Arrays.fill(pattern, value);
      PATTERNS.compareAndSet(i, null, pattern);
      pattern = PATTERNS.get(i);
    }
    return pattern;
  }

  private static void freeNow(ByteBuffer page) {
    if (INVOKE_CLEANER != null) {
      try {
        INVOKE_CLEANER.invoke(UNSAFE, page);
      } catch (ReflectiveOperationException e) {
        // left to the garbage collector's cleaner
      }
    }
  }

  private static long mib(long pages) {
    return pages * PAGE_SIZE >> 20;
  }

  /**
   * The node could not supply a linear-memory page: the pool's limit (the node's capacity) or the
   * JVM's direct memory is exhausted. Ends the invocation that needed the page as a memory error.
   */
  static final class Exhausted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Exhausted(String message) {
      super(message);
    }
  }

  @Override
  public String toString() {
    return "PagePool[limit=" + mib(limitPages) + " MiB, idleTime=" + idleTime + "]";
  }
}
