package io.wavelink.node.sandbox.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.InvalidModuleException;
import io.wavelink.node.sandbox.PreparedModule;
import java.lang.management.ManagementFactory;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Validation (and preparation) check what a module declares without allocating it: a tiny module
 * declaring almost 2 GiB of initial memory is accepted for a function of 2048 MB, and checking it
 * allocates next to nothing (the heap of this test JVM could not even hold that memory).
 */
class ValidationLimitsTest {

  private static final String HEADER = "0061736d01000000";
  private static final String TYPE_VOID = "010401600000";
  private static final String ONE_FUNCTION = "03020100";
  private static final String EXPORT_START = "070a01065f73746172740000";
  private static final String EMPTY_BODY = "0a040102000b";

  /** {@code (module (memory 32767) (func (export "_start")))}: 2 GiB less 64 KiB. */
  static final byte[] MEMORY_2_GIB =
      hex(HEADER + TYPE_VOID + ONE_FUNCTION + "0505010" + "0ffff01" + EXPORT_START + EMPTY_BODY);

  /** {@code (module (memory 32768) (func (export "_start")))}: 2 GiB, one page beyond a sandbox. */
  static final byte[] MEMORY_BEYOND_SANDBOX =
      hex(HEADER + TYPE_VOID + ONE_FUNCTION + "0505010" + "0808002" + EXPORT_START + EMPTY_BODY);

  /**
   * {@code (module (memory 32767) (data (i32.const 2147352576) "x") (func (export "_start")))}: a
   * data segment in the last page of the 2 GiB (the check still runs, on no bytes).
   */
  static final byte[] MEMORY_2_GIB_WITH_DATA_AT_THE_END =
      hex(HEADER + TYPE_VOID + ONE_FUNCTION + "0505010" + "0ffff01" + EXPORT_START + EMPTY_BODY
          + "0b0b01" + "00418080f8ff070b" + "0178");

  /** {@code (module (table 2000000 funcref) (func (export "_start")))}. */
  static final byte[] TABLE_OF_2_MILLION =
      hex(HEADER + TYPE_VOID + ONE_FUNCTION + "040601700080897a" + EXPORT_START + EMPTY_BODY);

  private static WasmSandboxRuntime runtime;

  @BeforeAll
  static void start() {
    runtime = new WasmSandboxRuntime();
  }

  @AfterAll
  static void stop() {
    runtime.close();
  }

  private static long allocatedByThisThread() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getThreadAllocatedBytes(Thread.currentThread().getId());
  }

  @Test
  void aModuleDeclaringTwoGibibytesIsValidatedWithoutThatMemory() throws Exception {
    runtime.validate(MEMORY_2_GIB, 2048); // warm up the classes
    long before = allocatedByThisThread();
    PreparedModule module = runtime.validate(MEMORY_2_GIB, 2048);
    long allocated = allocatedByThisThread() - before;
    assertEquals(2048, module.minimumMemoryMb());
    assertTrue(allocated < 16L << 20, "validation allocated " + allocated + " bytes");
    assertEquals(0, runtime.memoryUsage().inUseBytes());
    for (ExecutionMode mode : ExecutionMode.values()) {
      before = allocatedByThisThread();
      runtime.prepare(MEMORY_2_GIB, 2048, mode);
      allocated = allocatedByThisThread() - before;
      assertTrue(allocated < 64L << 20, mode + ": preparing allocated " + allocated + " bytes");
    }
  }

  @Test
  void dataSegmentsAreStillCheckedAgainstTheDeclaredSize() throws Exception {
    runtime.validate(MEMORY_2_GIB_WITH_DATA_AT_THE_END, 2048);
    InvalidModuleException e =
        assertThrows(InvalidModuleException.class, () -> runtime.validate(TestModules.DATA_OUT_OF_BOUNDS, 16));
    assertTrue(e.getMessage().contains("cannot be instantiated"), e.getMessage());
  }

  @Test
  void moreInitialMemoryThanASandboxHoldsIsRefused() {
    InvalidModuleException e =
        assertThrows(InvalidModuleException.class, () -> runtime.validate(MEMORY_BEYOND_SANDBOX, 4096));
    assertTrue(e.getMessage().contains("32768 pages"), e.getMessage());
  }

  @Test
  void hugeTablesAreRefused() {
    InvalidModuleException e =
        assertThrows(InvalidModuleException.class, () -> runtime.validate(TABLE_OF_2_MILLION, 64));
    assertTrue(e.getMessage().contains("2000000 initial elements"), e.getMessage());
  }

  private static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex);
  }
}
