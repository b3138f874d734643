package io.wavelink.node.internal;

import io.wavelink.node.ModuleRef;
import io.wavelink.node.ModuleSource;
import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.InvalidModuleException;
import io.wavelink.node.sandbox.PreparedModule;
import io.wavelink.node.sandbox.SandboxRuntime;
import io.wavelink.persistence.ModuleStore;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The modules of one node: each module's bytes fetched once, by content, and each module prepared
 * (parsed, and compiled for {@link ExecutionMode#COMPILED}) once per execution mode, for every
 * instance of every function with that code.
 *
 * <h2>Keys</h2>
 *
 * A stored module ({@link ModuleRef#isStored()}) is keyed by its SHA-256, so two functions (or two
 * versions of one) with the same code share its bytes and its prepared modules. An inline module
 * (a function deployed before the module store) is keyed by function and version, as before: see
 * {@link #keyOf}.
 *
 * <h2>Lifecycle</h2>
 *
 * <ul>
 *   <li>{@link #prepare} takes one use of the module in a mode. The bytes come from, in order: the
 *       module's bytes already on the node (in use, or kept idle), the inline bytes, or one fetch
 *       from the {@link ModuleSource} (never blocking the caller; concurrent starts of one module
 *       share that fetch). Preparing runs on the prepare executor. A module already prepared in
 *       that mode completes at once: nothing is fetched or waited for.
 *   <li>{@link #release} gives a use back. A mode's prepared module is dropped with its last use;
 *       the bytes of a module with no use left are kept, least recently used first out, while the
 *       idle bytes stay within {@code idleBytesLimit}, so that a module whose instances all stopped
 *       is not fetched again at its next start.
 *   <li>A failed fetch or preparation is forgotten: the next start tries again. A fetch that failed
 *       because the module store did not answer fails with {@link FetchFailed}.
 * </ul>
 *
 * <p>Thread-safety: {@link #prepare}, {@link #release}, {@link #clear} and {@link #stats} are called
 * by the owning Wavelet's actor only; the futures they return complete on other threads.
 */
public final class ModuleCache {

  /**
   * @param modules modules whose bytes are on the node (in use or kept idle)
   * @param idleBytes bytes of modules kept with no instance using them
   * @param fetches fetches from the module source since the node started
   * @param fetchedBytes bytes those fetches brought
   */
  public record Stats(int modules, long idleBytes, long fetches, long fetchedBytes) {}

  private record Key(String module, ExecutionMode mode) {}

  /**
   * A stored module could not be fetched now: the module store did not answer (Cassandra down, a
   * timeout). Unlike a module that is missing, corrupt or cannot run, another try, or a node that
   * holds the module, may succeed.
   */
  public static final class FetchFailed extends RuntimeException {
    public FetchFailed(String sha256, Throwable cause) {
      super("module " + sha256 + " could not be fetched from the module store now: " + cause, cause);
    }
  }

  private final SandboxRuntime runtime;
  private final Executor executor;
  private final Executor compiler;
  private final ModuleSource source;
  private final long idleBytesLimit;
  /** bytes of modules in use, by module key */
  private final Map<String, CompletableFuture<byte[]>> code = new ConcurrentHashMap<>();
  private final Map<Key, CompletableFuture<PreparedModule>> prepared = new ConcurrentHashMap<>();
  /** uses per module and mode (actor only) */
  private final Map<Key, Integer> users = new HashMap<>();
  /** bytes of modules nobody uses, least recently used first (actor only) */
  private final LinkedHashMap<String, byte[]> idle = new LinkedHashMap<>(16, 0.75f, true);
  private long idleBytes;
  private final AtomicLong fetches = new AtomicLong();
  private final AtomicLong fetchedBytes = new AtomicLong();

  /**
   * @param executor prepares modules for {@link ExecutionMode#INTERPRETED} execution (the node's
   *     prepare pool): parsing only, what an emergency start waits for
   * @param compiler compiles modules ({@link ExecutionMode#COMPILED}): a pool of its own, so that
   *     an emergency start never waits behind a compile
   * @param source fetches stored modules by hash
   * @param idleBytesLimit the most bytes of unused modules kept for their next start
   */
  public ModuleCache(
      SandboxRuntime runtime, Executor executor, Executor compiler, ModuleSource source, long idleBytesLimit) {
    this.runtime = runtime;
    this.executor = executor;
    this.compiler = compiler;
    this.source = source;
    this.idleBytesLimit = idleBytesLimit;
  }

  /** A cache whose one executor both parses and compiles. */
  public ModuleCache(SandboxRuntime runtime, Executor executor, ModuleSource source, long idleBytesLimit) {
    this(runtime, executor, executor, source, idleBytesLimit);
  }

  /** A cache for inline modules only (no module source), keeping no idle bytes. */
  public ModuleCache(SandboxRuntime runtime, Executor executor) {
    this(runtime, executor, ModuleSource.NONE, 0);
  }

  /**
   * Whether {@code key} is prepared in {@code mode} now, so that a {@link #prepare} in that mode
   * completes at once (with the module, or with a memory-limit error).
   */
  public boolean preparedNow(String key, ExecutionMode mode) {
    CompletableFuture<PreparedModule> ready = prepared.get(new Key(key, mode));
    return ready != null && ready.isDone() && !ready.isCompletedExceptionally();
  }

  /** A node's compile pool: {@code threads} (at least one) daemon threads named after the node. */
  public static ExecutorService newCompilePool(String nodeId, int threads) {
    AtomicInteger n = new AtomicInteger();
    return Executors.newFixedThreadPool(Math.max(1, threads), r -> {
      Thread t = new Thread(r, "wavelink-compile-" + nodeId + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Whether a prepare failed because its module could not be fetched now (Cassandra unreachable, a
   * timeout), rather than for good (a module that is missing, corrupt, or cannot run).
   */
  public static boolean fetchUnavailable(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof FetchFailed) {
        return true;
      }
    }
    return false;
  }

  /** The key of {@code module} as {@code function}'s {@code version} runs it. */
  public static String keyOf(String function, long version, ModuleRef module) {
    return module.isStored() ? module.sha256() : "inline:" + function + "@" + version;
  }

  /**
   * Takes one use of {@code module} (named {@code key}, see {@link #keyOf}) in {@code mode} and
   * completes with it prepared; fails with the fetch's or the runtime's error (an {@link
   * InvalidModuleException} for a module that cannot run within {@code memoryMb}). Every call,
   * failed or not, is matched by one {@link #release}.
   */
  public CompletableFuture<PreparedModule> prepare(String key, ModuleRef module, ExecutionMode mode, int memoryMb) {
    Key k = new Key(key, mode);
    users.merge(k, 1, Integer::sum);
    CompletableFuture<PreparedModule> ready = prepared.get(k);
    if (ready == null) {
      CompletableFuture<byte[]> bytes = bytes(key, module);
      CompletableFuture<PreparedModule> made =
          bytes.thenApplyAsync(
              b -> {
                try {
                  return runtime.prepare(b, memoryMb, mode);
                } catch (Exception e) {
                  throw new CompletionException(e);
                }
              },
              mode == ExecutionMode.COMPILED ? compiler : executor);
      prepared.put(k, made);
      made.whenComplete(
          (m, error) -> {
            if (error != null) {
              prepared.remove(k, made);
            }
          });
      ready = made;
    }
    // one prepared module serves functions of different limits: each start checks its own
    return ready.thenApply(
        m -> {
          if (m.minimumMemoryMb() > memoryMb) {
            throw new CompletionException(
                new InvalidModuleException(
                    "the module declares " + m.minimumMemoryMb() + " MiB of initial memory, more than the"
                        + " function's memory limit of " + memoryMb + " MiB"));
          }
          return m;
        });
  }

  private CompletableFuture<byte[]> bytes(String key, ModuleRef module) {
    CompletableFuture<byte[]> present = code.get(key);
    if (present != null) {
      return present;
    }
    CompletableFuture<byte[]> made;
    byte[] kept = idle.remove(key);
    if (kept != null) {
      idleBytes -= kept.length;
      made = CompletableFuture.completedFuture(kept);
    } else if (!module.isStored()) {
      made = CompletableFuture.completedFuture(module.inlineCode());
    } else {
      fetches.incrementAndGet();
      CompletableFuture<byte[]> fetched;
      try {
        fetched = source.fetch(module.sha256()).toCompletableFuture();
      } catch (RuntimeException e) {
        fetched = CompletableFuture.failedFuture(e);
      }
      made =
          fetched.handle(
              (b, error) -> {
                if (error == null) {
                  fetchedBytes.addAndGet(b.length);
                  return b;
                }
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                if (cause instanceof ModuleStore.NotFound
                    || cause instanceof ModuleStore.Corrupt
                    || cause instanceof IllegalStateException) {
                  throw new CompletionException(cause); // for good: no other try helps
                }
                throw new FetchFailed(module.sha256(), cause);
              });
    }
    code.put(key, made);
    CompletableFuture<byte[]> mine = made;
    made.whenComplete(
        (b, error) -> {
          if (error != null) {
            code.remove(key, mine);
          }
        });
    return made;
  }

  /** Gives back one use taken by {@link #prepare}. */
  public void release(String key, ExecutionMode mode) {
    Key k = new Key(key, mode);
    Integer left = users.merge(k, -1, Integer::sum);
    if (left == null || left > 0) {
      return;
    }
    users.remove(k);
    prepared.remove(k);
    for (ExecutionMode other : ExecutionMode.values()) {
      if (users.containsKey(new Key(key, other))) {
        return;
      }
    }
    CompletableFuture<byte[]> bytes = code.remove(key);
    if (bytes != null && bytes.isDone() && !bytes.isCompletedExceptionally() && idleBytesLimit > 0) {
      byte[] b = bytes.join();
      if (b.length <= idleBytesLimit) {
        idle.put(key, b);
        idleBytes += b.length;
        for (Iterator<byte[]> it = idle.values().iterator(); idleBytes > idleBytesLimit && it.hasNext(); ) {
          idleBytes -= it.next().length;
          it.remove();
        }
      }
    }
  }

  /** What the node holds and has fetched. */
  public Stats stats() {
    return new Stats(code.size() + idle.size(), idleBytes, fetches.get(), fetchedBytes.get());
  }

  /** Forgets everything (the Wavelet stopped). */
  public void clear() {
    prepared.clear();
    code.clear();
    users.clear();
    idle.clear();
    idleBytes = 0;
  }
}
