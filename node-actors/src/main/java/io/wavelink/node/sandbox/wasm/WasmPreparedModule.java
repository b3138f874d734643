package io.wavelink.node.sandbox.wasm;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.PreparedModule;
import java.util.Optional;
import java.util.function.Function;

/**
 * A parsed, validated and possibly compiled module. Immutable, so shared by every invocation.
 *
 * <p>Thread safety: Chicory's {@link WasmModule} is immutable (all fields final, validated at
 * parse). The machine factory of {@code MachineFactoryCompiler} is a {@code MachineFactory} that
 * checks that the instance's module is the one it compiled and then calls the constructor of the
 * generated machine class (through a {@code MethodHandleProxies} proxy): the generated classes are
 * defined once, at compile time, and each call makes a new machine for one instance, so one factory
 * serves concurrent instances on different threads (checked by {@code WasmSandboxRuntimeTest}).
 */
final class WasmPreparedModule implements PreparedModule {

  private static final int PAGES_PER_MB = 16;

  private final WasmSandboxRuntime owner;
  private final WasmModule module;
  private final ExecutionMode mode;
  private final Function<Instance, Machine> machineFactory;
  private final int memoryMb;
  private final int sizeBytes;
  private final Optional<MemoryLimits> declaredMemory;
  private final MemoryLimits preparedLimits;

  WasmPreparedModule(
      WasmSandboxRuntime owner,
      WasmModule module,
      ExecutionMode mode,
      Function<Instance, Machine> machineFactory,
      int memoryMb,
      int sizeBytes) {
    this.owner = owner;
    this.module = module;
    this.mode = mode;
    this.machineFactory = machineFactory;
    this.memoryMb = memoryMb;
    this.sizeBytes = sizeBytes;
    this.declaredMemory =
        module.memorySection().filter(s -> s.memoryCount() > 0).map(s -> s.getMemory(0).limits());
    this.preparedLimits = computeLimits(memoryMb);
  }

  @Override
  public ExecutionMode mode() {
    return mode;
  }

  @Override
  public int memoryMb() {
    return memoryMb;
  }

  @Override
  public int sizeBytes() {
    return sizeBytes;
  }

  @Override
  public int minimumMemoryMb() {
    return declaredMemory.map(l -> (l.initialPages() + PAGES_PER_MB - 1) / PAGES_PER_MB).orElse(0);
  }

  WasmSandboxRuntime owner() {
    return owner;
  }

  WasmModule module() {
    return module;
  }

  /** The compiled machine factory, or null to use Chicory's interpreter. */
  Function<Instance, Machine> machineFactory() {
    return machineFactory;
  }

  /** Whether the module's declared minimum memory fits in {@code limitMb}. */
  boolean fitsIn(int limitMb) {
    return declaredMemory.map(l -> l.initialPages() <= pagesFor(limitMb)).orElse(true);
  }

  /**
   * The limits of the instance's memory under a limit of {@code limitMb}: the module's declared
   * minimum, and the smaller of its declared maximum and the limit. Null when the module has no
   * memory. Call only when {@link #fitsIn} the limit.
   */
  MemoryLimits memoryLimits(int limitMb) {
    return limitMb == memoryMb ? preparedLimits : computeLimits(limitMb);
  }

  private MemoryLimits computeLimits(int limitMb) {
    if (declaredMemory.isEmpty()) {
      return null;
    }
    MemoryLimits declared = declaredMemory.get();
    int maximum = Math.min(declared.maximumPages(), pagesFor(limitMb));
    return new MemoryLimits(Math.min(declared.initialPages(), maximum), maximum, declared.shared());
  }

  private static int pagesFor(int limitMb) {
    return (int) Math.min((long) limitMb * PAGES_PER_MB, MemoryLimits.MAX_PAGES);
  }

  @Override
  public String toString() {
    return "WasmPreparedModule[mode="
        + mode
        + ", memoryMb="
        + memoryMb
        + ", sizeBytes="
        + sizeBytes
        + "]";
  }
}
