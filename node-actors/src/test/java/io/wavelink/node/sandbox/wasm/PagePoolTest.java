package io.wavelink.node.sandbox.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The node's page pool: bounded, zeroed on reuse, trimmed when idle. */
class PagePoolTest {

  private static final int PAGE = PagePool.PAGE_SIZE;

  @Test
  void pagesAreDirectLittleEndianAndReusedZeroed() {
    try (PagePool pool = new PagePool(4L * PAGE, Duration.ZERO)) {
      ByteBuffer[] pages = new ByteBuffer[2];
      pool.acquire(pages, 0, 2);
      assertTrue(pages[0].isDirect());
      assertEquals(ByteOrder.LITTLE_ENDIAN, pages[0].order());
      assertEquals(PAGE, pages[0].capacity());
      ByteBuffer first = pages[0];
      first.putInt(PAGE - 4, 0x01020304);
      assertEquals(0x04, first.get(PAGE - 4));
      PagePool.fill(pages[1], 0, PAGE, (byte) 0x77);
      pool.release(pages, 0, 2);
      assertNull(pages[0], "released slots are cleared");
      assertEquals(2L * PAGE, pool.pooledBytes());
      assertEquals(0, pool.inUseBytes());

      ByteBuffer[] again = new ByteBuffer[2];
      pool.acquire(again, 0, 2);
      assertEquals(0, pool.pooledBytes());
      assertTrue(again[0] == first || again[1] == first, "the pooled pages are reused");
      for (ByteBuffer page : again) {
        for (int i = 0; i < PAGE; i += 8) {
          assertEquals(0L, page.getLong(i), "zeroed before reuse, at " + i);
        }
      }
      pool.release(again, 0, 2);
    }
  }

  @Test
  void theLimitBoundsPagesInUseAndPooledAndAnAcquireTakesAllOrNothing() {
    try (PagePool pool = new PagePool(4L * PAGE + 100, Duration.ZERO)) {
      assertEquals(4L * PAGE, pool.limitBytes(), "whole pages");
      ByteBuffer[] held = new ByteBuffer[8];
      pool.acquire(held, 0, 3);
      pool.release(held, 2, 1); // one pooled, two in use
      PagePool.Exhausted e =
          assertThrows(PagePool.Exhausted.class, () -> pool.acquire(held, 2, 3));
      assertTrue(e.getMessage().contains("exhausted"), e.getMessage());
      assertNull(held[2], "nothing taken");
      assertEquals(2L * PAGE, pool.inUseBytes());
      assertEquals(1L * PAGE, pool.pooledBytes(), "the pooled page is back");
      pool.acquire(held, 2, 2); // the pooled one and one new: 4 pages exist
      assertEquals(4L * PAGE, pool.inUseBytes());
      assertEquals(0, pool.pooledBytes());
      assertThrows(PagePool.Exhausted.class, () -> pool.acquire(held, 4, 1));
      pool.release(held, 0, 4);
      assertEquals(4L * PAGE, pool.pooledBytes());
    }
  }

  @Test
  void pagesIdleForAWholeTrimPeriodAreFreed() {
    try (PagePool pool = new PagePool(16L * PAGE, Duration.ZERO)) {
      ByteBuffer[] held = new ByteBuffer[6];
      pool.acquire(held, 0, 6);
      pool.release(held, 0, 6);
      assertEquals(0, pool.trim(), "not idle for a whole period yet");
      assertEquals(6L * PAGE, pool.pooledBytes());
      // two pages are used during the next period: four stay idle through it
      ByteBuffer[] busy = new ByteBuffer[2];
      pool.acquire(busy, 0, 2);
      pool.release(busy, 0, 2);
      assertEquals(4, pool.trim());
      assertEquals(2L * PAGE, pool.pooledBytes());
      assertEquals(2, pool.trim(), "then the last two, idle through the next period");
      assertEquals(0, pool.pooledBytes());
      // freed pages no longer count against the limit
      ByteBuffer[] all = new ByteBuffer[16];
      pool.acquire(all, 0, 16);
      pool.release(all, 0, 16);
    }
  }

  @Test
  void theScheduledTrimGivesAnIdlePoolBack() {
    try (PagePool pool = new PagePool(16L * PAGE, Duration.ofMillis(20))) {
      ByteBuffer[] held = new ByteBuffer[8];
      pool.acquire(held, 0, 8);
      pool.release(held, 0, 8);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (pool.pooledBytes() > 0) {
        assertTrue(System.nanoTime() < deadline, "the idle pages were not freed within 20 s");
        Thread.onSpinWait();
        Thread.yield();
      }
    }
  }

  @Test
  void afterCloseReleasedPagesAreFreedNotPooled() {
    PagePool pool = new PagePool(4L * PAGE, Duration.ofMinutes(1));
    ByteBuffer[] held = new ByteBuffer[2];
    pool.acquire(held, 0, 2);
    pool.release(held, 1, 1);
    pool.close();
    assertEquals(0, pool.pooledBytes());
    pool.release(held, 0, 1);
    assertEquals(0, pool.pooledBytes());
    assertEquals(0, pool.inUseBytes());
    assertThrows(IllegalStateException.class, () -> pool.acquire(held, 0, 1));
  }

  @Test
  void concurrentAcquiresNeverExceedTheLimit() throws Exception {
    int threads = 4;
    long limitPages = 40;
    try (PagePool pool = new PagePool(limitPages * PAGE, Duration.ZERO)) {
      ExecutorService executor = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int seed = t;
          futures.add(
              executor.submit(
                  () -> {
                    java.util.Random random = new java.util.Random(seed);
                    ByteBuffer[] pages = new ByteBuffer[20];
                    for (int i = 0; i < 2_000; i++) {
                      int n = 1 + random.nextInt(20);
                      try {
                        pool.acquire(pages, 0, n);
                      } catch (PagePool.Exhausted e) {
                        continue; // the others hold too much right now
                      }
                      synchronized (pool) { // one snapshot of both
                        assertTrue(pool.inUseBytes() + pool.pooledBytes() <= limitPages * PAGE);
                      }
                      pages[0].put(0, (byte) 1);
                      pool.release(pages, 0, n);
                      if (i % 500 == 0) {
                        pool.trim();
                      }
                    }
                    return null;
                  }));
        }
        for (Future<?> f : futures) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        executor.shutdownNow();
      }
      assertEquals(0, pool.inUseBytes());
      assertTrue(pool.pooledBytes() <= limitPages * PAGE);
      ByteBuffer[] check = new ByteBuffer[1];
      pool.acquire(check, 0, 1);
      for (int i = 0; i < PAGE; i += 8) {
        assertEquals(0L, check[0].getLong(i));
      }
      pool.release(check, 0, 1);
    }
  }
}
