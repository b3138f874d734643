package io.wavelink.node.sandbox.wasm;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.log.Logger;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.InvalidException;
import com.dylibso.chicory.wasm.MalformedException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.InvalidModuleException;
import io.wavelink.node.sandbox.Invocation;
import io.wavelink.node.sandbox.InvocationResult;
import io.wavelink.node.sandbox.InvocationResult.FunctionError;
import io.wavelink.node.sandbox.InvocationResult.Success;
import io.wavelink.node.sandbox.InvocationResult.TimedOut;
import io.wavelink.node.sandbox.PreparedModule;
import io.wavelink.node.sandbox.SandboxRuntime;
import io.wavelink.node.sandbox.wasm.BoundedOutput.OutputLimitExceeded;
import io.wavelink.node.sandbox.wasm.Deadlines.Deadline;
import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.Function;
import org.slf4j.LoggerFactory;

/**
 * The {@link SandboxRuntime} on Chicory 1.7.5, a WebAssembly runtime in pure Java: guests run on
 * the JVM threads that call {@link #invoke}, as interpreted or compiled JVM code, with WASI
 * preview1 as their only imports.
 *
 * <h2>Preparing</h2>
 *
 * {@link #prepare} parses and validates the module (Chicory's parser type-checks every function),
 * checks that it is a WASI command that fits its memory limit, compiles it to JVM bytecode with
 * {@link MachineFactoryCompiler} in {@link ExecutionMode#COMPILED} mode, and instantiates it once
 * without running it (linking, data and element segments) on a memory without bytes. It refuses
 * modules whose initial memory is beyond the function's limit or 32767 pages, and tables of more
 * than {@value #MAX_TABLE_ELEMENTS} initial elements. Every rejection is an {@link
 * InvalidModuleException} whose message is meant for the function's author.
 *
 * <h2>Invoking</h2>
 *
 * Each invocation builds a fresh {@link Instance} from the prepared module (its own memory, globals
 * and tables; about a microsecond plus the memory it declares) with a fresh {@link WasiPreview1}
 * whose stdin is the input, stdout a {@link BoundedOutput} (limit {@code maxOutputBytes}), stderr a
 * {@link TailOutput} (last {@code maxStderrBytes}), environment the function's, arguments its name,
 * no preopened directory, and the clock and random of the host. It then calls {@code _start} once.
 *
 * <h2>Linear memory</h2>
 *
 * An invocation's memory is a {@link PagedMemory} whose maximum is the smaller of the module's
 * declared maximum and the invocation's {@code memoryMb}: 64 KiB pages off the Java heap, taken from
 * the runtime's {@link PagePool} when the instance is built and on each {@code memory.grow}, and
 * given back zeroed when the invocation ends, so a memory-hungry function makes no garbage for the
 * member's collector and no guest sees another's data. The pool holds at most {@code
 * linearMemoryBytes} (the node's capacity), and never more than this JVM's direct memory limit
 * ({@code -XX:MaxDirectMemorySize}, by default the maximum heap) less {@value
 * #DIRECT_MEMORY_MARGIN_MB} MiB for the member's own direct buffers: see {@link
 * #maxLinearMemoryBytes()}. Pages unused for {@code idleTime} (30 s by default) are freed. {@link
 * #memoryUsage()} reports what is held; every result reports the most its invocation held. ({@link
 * #prepare} and {@link #validate} instantiate a module once on a {@link LayoutMemory}, which checks
 * the data segments against the declared size and allocates none of it.)
 *
 * <h2>Timeouts</h2>
 *
 * The guest runs on the calling thread; a {@link Deadlines} thread shared by all invocations
 * interrupts it at {@code timeout}. Chicory checks the thread's interrupt status on every branch
 * and call in the interpreter, and on every backward jump and call in compiled code, so the guest
 * throws within one loop iteration and {@link #invoke} returns {@link TimedOut}, with the thread's
 * interrupt status cleared. Limits of that guarantee:
 *
 * <ul>
 *   <li>the stop is cooperative: a single long bulk operation ({@code memory.fill} or {@code
 *       memory.copy} over the whole memory, the JVM's allocation of a large {@code memory.grow})
 *       finishes before the next check, which bounds the overshoot by the guest's memory size;
 *   <li>WASI calls run to completion except {@code poll_oneoff}'s sleep and {@code random_get},
 *       which are interruptible; stdin and stdout are in memory, so no WASI call blocks;
 *   <li>the calling thread's interrupt status is the signal, so nobody else may interrupt it while
 *       it runs a guest; an interrupt that is not the deadline's ends the invocation with a {@link
 *       CancellationException} and the interrupt status set again;
 *   <li>the deadline also covers instantiation and a module's start section, not {@link #prepare}.
 * </ul>
 *
 * <h2>Outcomes</h2>
 *
 * Returning from {@code _start} or {@code proc_exit(0)}: {@link Success}. Then, in this order: a
 * non-zero {@code proc_exit} ({@link WasiExitException}) is {@link FunctionError#EXIT}; more stdout
 * than the limit is {@link FunctionError#OUTPUT}; a guest stopped by its deadline is {@link
 * TimedOut}; the node unable to supply a page of linear memory, any other failure after a refused
 * {@code memory.grow} (the guest found itself out of memory and trapped or exited), and the JVM
 * running out of heap are {@link FunctionError#MEMORY}; a trap (an out-of-bounds access among
 * them), a stack overflow or any other error of the guest is {@link FunctionError#TRAP}.
 */
public final class WasmSandboxRuntime implements SandboxRuntime {

  /** Default stdout limit: 6 MiB of response body and a margin for framing. */
  public static final int DEFAULT_MAX_OUTPUT_BYTES = 6 * 1024 * 1024 + 64 * 1024;

  /** Default size of the stderr tail kept for the invocation's log. */
  public static final int DEFAULT_MAX_STDERR_BYTES = 64 * 1024;

  /** Direct memory left to the member's own buffers (Artery, Netty): not for linear memory. */
  public static final int DIRECT_MEMORY_MARGIN_MB = 64;

  /** How long a pooled page may stay unused before it is freed. */
  static final Duration DEFAULT_IDLE_TIME = Duration.ofSeconds(30);

  private static final org.slf4j.Logger log = LoggerFactory.getLogger(WasmSandboxRuntime.class);

  /** The module name of WASI preview1 imports. */
  static final String WASI_MODULE = "wasi_snapshot_preview1";

  private static final String START = "_start";

  private static final Logger SILENT =
      new Logger() {
        @Override
        public void log(Logger.Level level, String msg, Throwable throwable) {}

        @Override
        public boolean isLoggable(Logger.Level level) {
          return false;
        }
      };

  /** Name and type of every function WASI preview1 provides. */
  private static final Map<String, FunctionType> WASI_FUNCTIONS = wasiFunctions();

  private final int maxOutputBytes;
  private final int maxStderrBytes;
  private final Deadlines deadlines = new Deadlines();
  private final PagePool pool;

  /** A runtime with the default output limits and as much linear memory as the JVM allows. */
  public WasmSandboxRuntime() {
    this(DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_MAX_STDERR_BYTES);
  }

  /**
   * A runtime with as much linear memory as the JVM allows ({@link #maxLinearMemoryBytes()}).
   *
   * @param maxOutputBytes the most a guest may write to stdout (its response body)
   * @param maxStderrBytes how much of the end of a guest's stderr is kept
   */
  public WasmSandboxRuntime(int maxOutputBytes, int maxStderrBytes) {
    this(maxOutputBytes, maxStderrBytes, maxLinearMemoryBytes());
  }

  /**
   * @param maxOutputBytes the most a guest may write to stdout (its response body)
   * @param maxStderrBytes how much of the end of a guest's stderr is kept
   * @param linearMemoryBytes the most linear memory all invocations together may hold (the node's
   *     capacity); capped at {@link #maxLinearMemoryBytes()}, with a warning
   */
  public WasmSandboxRuntime(int maxOutputBytes, int maxStderrBytes, long linearMemoryBytes) {
    this(maxOutputBytes, maxStderrBytes, linearMemoryBytes, DEFAULT_IDLE_TIME);
  }

  /**
   * @param idleTime how long a pooled page may stay unused before it is freed; zero: only when the
   *     pool is trimmed explicitly (tests)
   */
  WasmSandboxRuntime(
      int maxOutputBytes, int maxStderrBytes, long linearMemoryBytes, Duration idleTime) {
    if (maxOutputBytes < 0 || maxStderrBytes < 0) {
      throw new IllegalArgumentException("output limits must not be negative");
    }
    if (linearMemoryBytes < 0) {
      throw new IllegalArgumentException(
          "linearMemoryBytes must not be negative, was " + linearMemoryBytes);
    }
    this.maxOutputBytes = maxOutputBytes;
    this.maxStderrBytes = maxStderrBytes;
    long max = maxLinearMemoryBytes();
    if (linearMemoryBytes > max) {
      log.warn(
          "linear memory limited to {} MiB instead of {} MiB: the JVM's direct memory limit is {}"
              + " MiB (-XX:MaxDirectMemorySize, by default the maximum heap) and {} MiB of it are"
              + " left to the member's own buffers; start the JVM with a larger"
              + " -XX:MaxDirectMemorySize",
          max >> 20,
          linearMemoryBytes >> 20,
          directMemoryLimitBytes() >> 20,
          DIRECT_MEMORY_MARGIN_MB);
    }
    this.pool = new PagePool(Math.min(linearMemoryBytes, max), idleTime);
  }

  /**
   * The most linear memory a runtime in this JVM can hold: the JVM's direct memory limit ({@code
   * -XX:MaxDirectMemorySize}; without it, the maximum heap) less {@value #DIRECT_MEMORY_MARGIN_MB}
   * MiB for the member's own direct buffers.
   */
  public static long maxLinearMemoryBytes() {
    return Math.max(0, directMemoryLimitBytes() - ((long) DIRECT_MEMORY_MARGIN_MB << 20));
  }

  /** This JVM's direct memory limit: {@code -XX:MaxDirectMemorySize}, else the maximum heap. */
  public static long directMemoryLimitBytes() {
    try {
      HotSpotDiagnosticMXBean hotspot =
          ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      long configured = Long.parseLong(hotspot.getVMOption("MaxDirectMemorySize").getValue());
      if (configured > 0) {
        return configured;
      }
    } catch (RuntimeException e) {
      // not HotSpot, or no such option: the JDK's default applies
    }
    return Runtime.getRuntime().maxMemory();
  }

  @Override
  public PreparedModule validate(byte[] code, int memoryMb) throws InvalidModuleException {
    return prepare(code, memoryMb, ExecutionMode.INTERPRETED);
  }

  @Override
  public PreparedModule prepare(byte[] code, int memoryMb, ExecutionMode mode)
      throws InvalidModuleException {
    if (memoryMb <= 0) {
      throw new IllegalArgumentException("memoryMb must be positive, was " + memoryMb);
    }
    WasmModule module = parse(code);
    checkStart(module);
    checkImports(module);
    checkMemory(module, memoryMb);
    checkTables(module);
    Function<Instance, Machine> machineFactory =
        mode == ExecutionMode.COMPILED ? compile(module) : null;
    WasmPreparedModule prepared =
        new WasmPreparedModule(this, module, mode, machineFactory, memoryMb, code.length);
    instantiateOnce(prepared);
    return prepared;
  }

  @Override
  public InvocationResult invoke(PreparedModule module, Invocation invocation) {
    WasmPreparedModule prepared = own(module);
    if (!prepared.fitsIn(invocation.memoryMb())) {
      return new FunctionError(
          FunctionError.MEMORY,
          FunctionError.NO_EXIT_CODE,
          "the module needs "
              + prepared.minimumMemoryMb()
              + " MiB of initial memory, more than the function's limit of "
              + invocation.memoryMb()
              + " MiB",
          "",
          Duration.ZERO);
    }
    if (Thread.currentThread().isInterrupted()) {
      throw new CancellationException("the sandbox thread was interrupted before the invocation");
    }
    BoundedOutput stdout = new BoundedOutput(maxOutputBytes);
    TailOutput stderr = new TailOutput(maxStderrBytes);
    WasiOptions.Builder options =
        WasiOptions.builder()
            .withStdin(new ByteArrayInputStream(invocation.input()))
            .withStdout(stdout)
            .withStderr(stderr)
            .withArguments(invocation.args())
            .withThrowOnExit0(true);
    invocation.env().forEach(options::withEnvironment);
    MemoryLimits limits = prepared.memoryLimits(invocation.memoryMb());
    PagedMemory[] memory = new PagedMemory[1];

    Throwable failure = null;
    boolean expired;
    long peakMemoryBytes = 0;
    long started = System.nanoTime();
    Deadline deadline = deadlines.start(invocation.timeout());
    try (WasiPreview1 wasi = wasi(options.build())) {
      Instance instance =
          instantiate(prepared, wasi, limits, l -> memory[0] = new PagedMemory(l, pool), true);
      instance.export(START).apply();
    } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
      failure = e;
    } finally {
      expired = deadline.finish();
      if (memory[0] != null) {
        peakMemoryBytes = memory[0].release();
      }
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
    return outcome(
        failure, expired, elapsed, invocation, stdout, stderr, memory[0], peakMemoryBytes);
  }

  @Override
  public MemoryUsage memoryUsage() {
    synchronized (pool) {
      return new MemoryUsage(pool.inUseBytes(), pool.pooledBytes(), pool.limitBytes());
    }
  }

  /** The runtime's page pool (tests). */
  PagePool pool() {
    return pool;
  }

  @Override
  public void close() {
    deadlines.close();
    pool.close();
  }

  // ---------------------------------------------------------------------------------------------
  // preparing

  private static WasmModule parse(byte[] code) throws InvalidModuleException {
    if (code == null || code.length == 0) {
      throw new InvalidModuleException(
          "the module is empty: expected a WebAssembly binary (.wasm file)");
    }
    if (code.length < 8 || code[0] != 0 || code[1] != 'a' || code[2] != 's' || code[3] != 'm') {
      throw new InvalidModuleException(
          "the module is not a WebAssembly binary: a .wasm file starts with \\0asm"
              + " (was the text format or an archive uploaded?)");
    }
    if (code[4] != 1 || code[5] != 0 || code[6] != 0 || code[7] != 0) {
      throw new InvalidModuleException(
          "the module is a WebAssembly binary of an unsupported version or layer: only core"
              + " modules of version 1 are supported (components are not)");
    }
    try {
      return Parser.parse(code);
    } catch (MalformedException e) {
      throw new InvalidModuleException("the module is malformed: " + describe(e), e);
    } catch (InvalidException e) {
      throw new InvalidModuleException("the module is invalid: " + describe(e), e);
    } catch (RuntimeException | StackOverflowError e) {
      throw new InvalidModuleException("the module cannot be parsed: " + describe(e), e);
    }
  }

  private static void checkStart(WasmModule module) throws InvalidModuleException {
    Export start = null;
    for (int i = 0; i < module.exportSection().exportCount(); i++) {
      Export export = module.exportSection().getExport(i);
      if (START.equals(export.name())) {
        start = export;
      }
    }
    if (start == null) {
      throw new InvalidModuleException(
          "the module does not export a function named _start: functions must be WASI command"
              + " modules (a program with a main function built for wasm32-wasip1), not libraries"
              + " or reactors");
    }
    if (start.exportType() != ExternalType.FUNCTION) {
      throw new InvalidModuleException(
          "the module exports _start as a "
              + start.exportType().name().toLowerCase(java.util.Locale.ROOT)
              + ", not as a function");
    }
    FunctionType type = functionType(module, start.index());
    if (!type.params().isEmpty() || !type.returns().isEmpty()) {
      throw new InvalidModuleException(
          "the module's _start function must take no parameters and return nothing, but its type"
              + " is "
              + type);
    }
  }

  private static FunctionType functionType(WasmModule module, int functionIndex) {
    int imported = 0;
    for (int i = 0; i < module.importSection().importCount(); i++) {
      Import imp = module.importSection().getImport(i);
      if (imp.importType() == ExternalType.FUNCTION) {
        if (imported == functionIndex) {
          return module.typeSection().getType(((FunctionImport) imp).typeIndex());
        }
        imported++;
      }
    }
    return module.functionSection().getFunctionType(functionIndex - imported, module.typeSection());
  }

  private static void checkImports(WasmModule module) throws InvalidModuleException {
    for (int i = 0; i < module.importSection().importCount(); i++) {
      Import imp = module.importSection().getImport(i);
      String what =
          imp.importType().name().toLowerCase(java.util.Locale.ROOT)
              + " "
              + imp.module()
              + "."
              + imp.name();
      if (!WASI_MODULE.equals(imp.module()) || imp.importType() != ExternalType.FUNCTION) {
        throw new InvalidModuleException(
            "the module imports "
                + what
                + ", which WaveLink does not provide: functions may import only WASI preview1"
                + " functions (module "
                + WASI_MODULE
                + ")");
      }
      FunctionType expected = WASI_FUNCTIONS.get(imp.name());
      if (expected == null) {
        throw new InvalidModuleException(
            "the module imports " + what + ", which is not a WASI preview1 function");
      }
      FunctionType actual = module.typeSection().getType(((FunctionImport) imp).typeIndex());
      if (!actual.typesMatch(expected)) {
        throw new InvalidModuleException(
            "the module imports "
                + what
                + " with type "
                + actual
                + ", but WASI preview1 defines it as "
                + expected);
      }
    }
  }

  private static void checkMemory(WasmModule module, int memoryMb) throws InvalidModuleException {
    int memories = module.memorySection().map(s -> s.memoryCount()).orElse(0);
    if (memories > 1) {
      throw new InvalidModuleException(
          "the module declares " + memories + " memories; only one is supported");
    }
    if (memories == 1) {
      int initialPages = module.memorySection().get().getMemory(0).limits().initialPages();
      if (initialPages > com.dylibso.chicory.runtime.Memory.RUNTIME_MAX_PAGES) {
        throw new InvalidModuleException(
            "the module declares an initial memory of "
                + initialPages
                + " pages of 64 KiB, more than the "
                + com.dylibso.chicory.runtime.Memory.RUNTIME_MAX_PAGES
                + " pages (2 GiB less 64 KiB) a WaveLink sandbox can hold");
      }
      if ((long) initialPages > (long) memoryMb * 16) {
        throw new InvalidModuleException(
            "the module declares an initial memory of "
                + initialPages
                + " pages of 64 KiB ("
                + (initialPages + 15) / 16
                + " MiB), more than the function's memory limit of "
                + memoryMb
                + " MiB");
      }
    }
  }

  /**
   * The most elements a module's tables may declare initially, together: each invocation's instance
   * allocates them (about 12 bytes each) before the guest runs.
   */
  static final long MAX_TABLE_ELEMENTS = 1L << 20;

  private static void checkTables(WasmModule module) throws InvalidModuleException {
    long elements = 0;
    for (int i = 0; i < module.tableSection().tableCount(); i++) {
      elements += module.tableSection().getTable(i).limits().min();
    }
    if (elements > MAX_TABLE_ELEMENTS) {
      throw new InvalidModuleException(
          "the module's tables declare "
              + elements
              + " initial elements, more than the "
              + MAX_TABLE_ELEMENTS
              + " WaveLink allows");
    }
  }

  private static Function<Instance, Machine> compile(WasmModule module)
      throws InvalidModuleException {
    try {
      return MachineFactoryCompiler.compile(module);
    } catch (RuntimeException | StackOverflowError e) {
      throw new InvalidModuleException(
          "the module could not be compiled to JVM bytecode: " + describe(e), e);
    }
  }

  /**
   * Instantiates the module once without running anything, so that a module that links but cannot
   * be instantiated (a data or element segment out of bounds, ...) is rejected now rather than at
   * every invocation. The instance's memory is a {@link LayoutMemory}: the data segments are checked
   * against the declared initial size, and none of that memory is allocated (a tiny module declaring
   * 2 GiB is checked in microseconds). Skipped for modules with a start section, which would run
   * guest code without a deadline; their problems show at invocation.
   */
  private static void instantiateOnce(WasmPreparedModule prepared) throws InvalidModuleException {
    boolean initialize = prepared.module().startSection().isEmpty();
    try (WasiPreview1 wasi = wasi(WasiOptions.builder().build())) {
      instantiate(
          prepared,
          wasi,
          prepared.memoryLimits(prepared.memoryMb()),
          LayoutMemory::new,
          initialize);
    } catch (RuntimeException | StackOverflowError e) {
      throw new InvalidModuleException("the module cannot be instantiated: " + describe(e), e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // invoking

  private static WasiPreview1 wasi(WasiOptions options) {
    return WasiPreview1.builder().withLogger(SILENT).withOptions(options).build();
  }

  private static Instance instantiate(
      WasmPreparedModule prepared,
      WasiPreview1 wasi,
      MemoryLimits limits,
      Function<MemoryLimits, com.dylibso.chicory.runtime.Memory> memoryFactory,
      boolean initialize) {
    Instance.Builder builder =
        Instance.builder(prepared.module())
            .withImportValues(ImportValues.builder().addFunction(wasi.toHostFunctions()).build())
            .withMemoryFactory(memoryFactory)
            .withInitialize(initialize)
            .withStart(false);
    if (limits != null) {
      builder.withMemoryLimits(limits);
    }
    if (prepared.machineFactory() != null) {
      builder.withMachineFactory(prepared.machineFactory());
    }
    return builder.build();
  }

  private InvocationResult outcome(
      Throwable failure,
      boolean expired,
      Duration elapsed,
      Invocation invocation,
      BoundedOutput stdout,
      TailOutput stderr,
      PagedMemory memory,
      long peak) {
    if (failure == null) {
      return new Success(stdout.toByteArray(), stderr.tail(), elapsed, peak);
    }
    WasiExitException exit = find(failure, WasiExitException.class);
    if (exit != null && exit.exitCode() == 0) {
      return new Success(stdout.toByteArray(), stderr.tail(), elapsed, peak);
    }
    String stderrTail = stderr.tail();
    if (exit != null && (memory == null || memory.refusedGrowthPages() == 0)) {
      return new FunctionError(
          FunctionError.EXIT,
          exit.exitCode(),
          "the function exited with status " + exit.exitCode(),
          stderrTail,
          elapsed,
          peak);
    }
    if (find(failure, OutputLimitExceeded.class) != null) {
      return new FunctionError(
          FunctionError.OUTPUT,
          FunctionError.NO_EXIT_CODE,
          "output too large: the function wrote more than " + maxOutputBytes + " bytes to stdout",
          stderrTail,
          elapsed,
          peak);
    }
    if (expired) {
      return new TimedOut(invocation.timeout(), stderrTail, peak);
    }
    if (isInterruption(failure)) {
      Thread.currentThread().interrupt();
      CancellationException cancelled =
          new CancellationException("the sandbox thread was interrupted during the invocation");
      cancelled.initCause(failure);
      throw cancelled;
    }
    PagePool.Exhausted exhausted = find(failure, PagePool.Exhausted.class);
    if (exhausted != null) {
      return new FunctionError(
          FunctionError.MEMORY,
          FunctionError.NO_EXIT_CODE,
          "the node ran out of memory for the function's linear memory ("
              + (peak >> 20)
              + " MiB held): "
              + exhausted.getMessage(),
          stderrTail,
          elapsed,
          peak);
    }
    String ending =
        exit != null ? "exited with status " + exit.exitCode() : "failed: " + describe(failure);
    if (memory != null && memory.refusedGrowthPages() > 0) {
      return new FunctionError(
          FunctionError.MEMORY,
          exit != null ? exit.exitCode() : FunctionError.NO_EXIT_CODE,
          "the function ran out of memory: growing its memory beyond its limit of "
              + invocation.memoryMb()
              + " MiB was refused, then it "
              + ending,
          stderrTail,
          elapsed,
          peak);
    }
    if (failure instanceof OutOfMemoryError) {
      return new FunctionError(
          FunctionError.MEMORY,
          FunctionError.NO_EXIT_CODE,
          "the node ran out of memory while running the function",
          stderrTail,
          elapsed,
          peak);
    }
    if (failure instanceof StackOverflowError) {
      return new FunctionError(
          FunctionError.TRAP,
          FunctionError.NO_EXIT_CODE,
          "the function trapped: call stack exhausted",
          stderrTail,
          elapsed,
          peak);
    }
    return new FunctionError(
        FunctionError.TRAP,
        FunctionError.NO_EXIT_CODE,
        "the function trapped: " + describe(failure),
        stderrTail,
        elapsed,
        peak);
  }

  private static boolean isInterruption(Throwable failure) {
    return Thread.currentThread().isInterrupted()
        || find(failure, ChicoryInterruptedException.class) != null
        || find(failure, InterruptedException.class) != null;
  }

  private WasmPreparedModule own(PreparedModule module) {
    if (module instanceof WasmPreparedModule prepared && prepared.owner() == this) {
      return prepared;
    }
    throw new IllegalArgumentException("module was not prepared by this runtime: " + module);
  }

  private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  /** The most specific message in a failure's chain, for users. */
  private static String describe(Throwable failure) {
    String message = null;
    for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        message = t.getMessage();
        if (t instanceof ChicoryException) {
          break;
        }
      }
    }
    return message != null ? message : failure.getClass().getSimpleName();
  }

  private static Map<String, FunctionType> wasiFunctions() {
    try (WasiPreview1 wasi = wasi(WasiOptions.builder().build())) {
      Map<String, FunctionType> functions = new HashMap<>();
      for (HostFunction f : wasi.toHostFunctions()) {
        if (WASI_MODULE.equals(f.module())) {
          functions.put(f.name(), f.functionType());
        }
      }
      return Map.copyOf(functions);
    }
  }

  @Override
  public String toString() {
    return "WasmSandboxRuntime[maxOutputBytes="
        + maxOutputBytes
        + ", maxStderrBytes="
        + maxStderrBytes
        + ", linearMemory="
        + pool
        + "]";
  }
}
