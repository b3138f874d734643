package io.wavelink.node.internal;

import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.PreparedModule;
import io.wavelink.node.sandbox.SandboxRuntime;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Prepared modules of one node, keyed by function, version and execution mode, so that several
 * instances of a function on a node parse (and compile) its module once. A second emergency instance
 * of the same function therefore starts in about the time Chicory needs to instantiate a parsed
 * module. Only the owning Wavelet calls {@link #evict}; {@link #prepare} may complete on any thread.
 */
public final class ModuleCache {

  private record Key(String function, long version, ExecutionMode mode) {}

  private final SandboxRuntime runtime;
  private final Executor executor;
  private final ConcurrentHashMap<Key, CompletableFuture<PreparedModule>> modules =
      new ConcurrentHashMap<>();

  public ModuleCache(SandboxRuntime runtime, Executor executor) {
    this.runtime = runtime;
    this.executor = executor;
  }

  public CompletableFuture<PreparedModule> prepare(
      String function, long version, ExecutionMode mode, byte[] code, int memoryMb) {
    Key key = new Key(function, version, mode);
    CompletableFuture<PreparedModule> future =
        modules.computeIfAbsent(
            key,
            k ->
                CompletableFuture.supplyAsync(
                    () -> {
                      try {
                        return runtime.prepare(code, memoryMb, mode);
                      } catch (Exception e) {
                        throw new CompletionException(e);
                      }
                    },
                    executor));
    return future.whenComplete(
        (m, error) -> {
          if (error != null) {
            modules.remove(key, future);
          }
        });
  }

  public void evict(String function, long version, ExecutionMode mode) {
    modules.remove(new Key(function, version, mode));
  }

  public void clear() {
    modules.clear();
  }
}
