package io.wavelink.node.sandbox;

/**
 * Runs functions' WebAssembly modules. The Wavelet holds one runtime per node and calls it from its
 * own threads: a prepare pool for {@link #prepare} and a sandbox pool for {@link #invoke}.
 *
 * <h2>The function contract</h2>
 *
 * A function is a WASI preview1 <em>command</em> module: it exports a {@code _start} function that
 * takes and returns nothing. For each invocation it gets
 *
 * <ul>
 *   <li>the request body on stdin, and its stdout becomes the response body;
 *   <li>its stderr kept as the invocation's log (the tail is returned with every result);
 *   <li>its function's environment variables and one argument, the function's name;
 *   <li>no filesystem (no preopened directories) and no network;
 *   <li>at most {@code memoryMb} of linear memory and {@code timeout} of wall-clock time.
 * </ul>
 *
 * Returning from {@code _start} or {@code proc_exit(0)} is success; a non-zero exit, a trap, a
 * refused memory growth that ends in a failure or too much output is a {@link
 * InvocationResult.FunctionError}; still running at the timeout is {@link
 * InvocationResult.TimedOut}. Every result reports the most linear memory the guest held ({@link
 * InvocationResult#peakMemoryBytes()}).
 *
 * <h2>Linear memory</h2>
 *
 * An invocation's linear memory is its own: it starts zeroed (apart from the module's data
 * segments), no other invocation sees what it wrote, and it is gone when the invocation ends. The
 * node's linear memory is bounded; when the node cannot supply an invocation's memory, that
 * invocation ends as a {@link InvocationResult.FunctionError#MEMORY} error ("the node ran out of
 * memory ...") and nothing else is affected. {@link #memoryUsage()} tells how much the runtime
 * holds.
 *
 * <p>Implementations are thread-safe: any number of threads may prepare and invoke at once.
 */
public interface SandboxRuntime extends AutoCloseable {

  /**
   * Checks that {@code code} is a function module that can run within {@code memoryMb}, without
   * compiling it: what the deploy API calls before it accepts a function. Cheap (parsing only).
   *
   * @return the module prepared for {@link ExecutionMode#INTERPRETED} execution
   * @throws InvalidModuleException with a message for the function's author
   */
  PreparedModule validate(byte[] code, int memoryMb) throws InvalidModuleException;

  /**
   * Parses, validates and (for {@link ExecutionMode#COMPILED}) compiles a function's module. Runs
   * on the calling thread; compiling a module takes milliseconds to seconds depending on its size.
   *
   * @throws InvalidModuleException with a message for the function's author
   */
  PreparedModule prepare(byte[] code, int memoryMb, ExecutionMode mode)
      throws InvalidModuleException;

  /**
   * Runs the module once, synchronously, on the calling thread: a fresh instance, {@code _start}
   * called once. Never throws for anything the guest does; the result says how it ended.
   *
   * <p>The call returns shortly after {@code invocation.timeout()} at the latest: the guest is
   * stopped at its deadline and the calling thread is free again (see the implementation for the
   * precise guarantee). The calling thread's interrupt status is used to stop the guest, so the
   * calling thread must not be interrupted by anyone else while it runs a guest.
   *
   * @throws java.util.concurrent.CancellationException if the calling thread was interrupted by
   *     someone else (for example a pool shutting down) before or while the guest ran; the thread's
   *     interrupt status is then set again
   * @throws IllegalArgumentException if {@code module} was not prepared by this runtime
   */
  InvocationResult invoke(PreparedModule module, Invocation invocation);

  /**
   * The linear memory this runtime holds now, for a node's gauges. Cheap (a lock, no allocation
   * beyond the result); safe to call from any thread.
   */
  MemoryUsage memoryUsage();

  /**
   * Linear memory held by a runtime, in bytes.
   *
   * @param inUseBytes held by invocations running now
   * @param pooledBytes kept (zeroed) for reuse by later invocations, given back to the system when
   *     it stays unused for a while
   * @param limitBytes the most the runtime holds at once (in use and pooled)
   */
  record MemoryUsage(long inUseBytes, long pooledBytes, long limitBytes) {}

  /**
   * Releases the runtime's threads. Invocations already running keep their deadlines; {@link
   * #invoke} called afterwards throws {@link IllegalStateException}.
   */
  @Override
  void close();
}
