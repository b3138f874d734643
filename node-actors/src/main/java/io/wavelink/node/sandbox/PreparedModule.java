package io.wavelink.node.sandbox;

/**
 * A function's module, parsed and validated (and, in {@link ExecutionMode#COMPILED}, compiled) by a
 * {@link SandboxRuntime}, ready to be invoked.
 *
 * <p>A prepared module holds no per-invocation state: each invocation gets a fresh instance with
 * its own memory, so one prepared module serves any number of concurrent invocations on different
 * threads. It is immutable and safe to share; it is only usable with the runtime that prepared it.
 */
public interface PreparedModule {

  /** How invocations of this module execute. */
  ExecutionMode mode();

  /** The memory limit (MiB) the module was checked against when it was prepared. */
  int memoryMb();

  /** Size of the module's binary, in bytes. */
  int sizeBytes();

  /**
   * The linear memory the module declares as its minimum, in MiB rounded up (0 when it has no
   * memory). An invocation needs at least this much.
   */
  int minimumMemoryMb();
}
