package io.wavelink.persistence;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.typesafe.config.Config;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.regex.Pattern;
import org.apache.pekko.actor.ClassicActorSystemProvider;

/**
 * Function modules by content, in Cassandra: a module is stored once under the SHA-256 of its bytes
 * and read back by that hash, so the journal's events and the messages that start instances carry
 * 64 hex digits instead of the code.
 *
 * <h2>Layout</h2>
 *
 * The tables {@code wavelink.modules} (one row per module: size, chunk size, chunk count) and
 * {@code wavelink.module_chunks} (one partition per chunk of at most {@code
 * wavelink.persistence.modules.chunk-size}, 1 MiB) of {@link Schema}. Every chunk is one mutation,
 * well below the largest one Cassandra accepts (half of {@code commitlog_segment_size}: 4 MiB for
 * the embedded server), whatever the module's size.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>{@link #store} is idempotent: a module already stored is not written again (its answer is
 *       then {@code false}). Its chunks are written first and its {@code modules} row last, so a
 *       module is visible to {@link #fetch} only once it is complete; a store that failed half-way
 *       leaves chunks that the next store of the same module overwrites with the same bytes.
 *   <li>{@link #fetch} reads every chunk, checks each one's length and the SHA-256 of the whole, and
 *       fails with {@link NotFound} for a module that was never (completely) stored and with {@link
 *       Corrupt} for one whose bytes do not match their hash. It never blocks the calling thread.
 *   <li>Writes and reads are at QUORUM, as the journal's; {@code parallelism} chunks are written or
 *       read at once, each with {@code request-timeout}.
 *   <li>Modules are never deleted: a stored module may be shared by several functions and versions
 *       (there is no reference count yet; see docs/operations.md).
 * </ul>
 *
 * <p>The member's store uses the journal's own driver session (the Pekko Connectors session
 * registry's session for {@code pekko.persistence.cassandra}, as {@link JournalHealth} does), so it
 * adds no connection pool. Thread-safe.
 */
public final class ModuleStore {

  /** The settings under {@code wavelink.persistence.modules}. */
  public record Settings(int chunkBytes, int parallelism, Duration requestTimeout) {

    public Settings {
      if (chunkBytes < 1024 || chunkBytes > 2 * 1024 * 1024) {
        throw new IllegalArgumentException(
            "wavelink.persistence.modules.chunk-size must be between 1 KiB and 2 MiB, was " + chunkBytes);
      }
      if (parallelism < 1) {
        throw new IllegalArgumentException("wavelink.persistence.modules.parallelism must be positive");
      }
    }

    public static Settings create(Config root) {
      Config c = root.getConfig("wavelink.persistence.modules");
      return new Settings(
          (int) Math.min(Integer.MAX_VALUE, c.getBytes("chunk-size")),
          c.getInt("parallelism"),
          c.getDuration("request-timeout"));
    }
  }

  /** No module is stored (completely) under the hash. */
  public static final class NotFound extends RuntimeException {
    public NotFound(String sha256) {
      super("no module with SHA-256 " + sha256 + " is in the module store");
    }
  }

  /** The stored bytes do not match their hash, or a chunk is missing or of the wrong length. */
  public static final class Corrupt extends RuntimeException {
    public Corrupt(String message) {
      super(message);
    }
  }

  private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");
  private static final ConsistencyLevel CONSISTENCY = DefaultConsistencyLevel.QUORUM;

  private final CompletionStage<CqlSession> session;
  private final Settings settings;
  private final Executor executor;
  private volatile CompletionStage<Statements> statements;

  private record Statements(
      PreparedStatement selectModule,
      PreparedStatement insertModule,
      PreparedStatement selectChunk,
      PreparedStatement insertChunk) {}

  private ModuleStore(CompletionStage<CqlSession> session, Settings settings, Executor executor) {
    this.session = session;
    this.settings = settings;
    this.executor = executor;
  }

  /**
   * The store of {@code system}, on the journal's driver session; hashes are checked on Pekko's
   * {@code default-blocking-io-dispatcher}.
   */
  public static ModuleStore create(ClassicActorSystemProvider system) {
    return new ModuleStore(
        io.wavelink.persistence.internal.DriverSessions.journalSession(system, JournalHealth.PLUGIN_CONFIG_PATH),
        Settings.create(system.classicSystem().settings().config()),
        system.classicSystem().dispatchers().lookup("pekko.actor.default-blocking-io-dispatcher"));
  }

  /**
   * A store on a session of the caller's (tests, tools); {@code executor} checks the hashes of
   * fetched modules.
   */
  public static ModuleStore using(CqlSession session, Settings settings, Executor executor) {
    return new ModuleStore(CompletableFuture.completedFuture(session), settings, executor);
  }

  /** The SHA-256 of {@code bytes}, as 64 lower-case hex digits: a module's key. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }

  /** Whether {@code s} has the form of a module's key (64 lower-case hex digits). */
  public static boolean isHash(String s) {
    return s != null && HASH.matcher(s).matches();
  }

  public Settings settings() {
    return settings;
  }

  /**
   * Stores {@code code} under {@code sha256}, which the caller computed with {@link #sha256}.
   *
   * @return true if the module was written now, false if it was already stored
   */
  public CompletionStage<Boolean> store(String sha256, byte[] code) {
    requireHash(sha256);
    if (code.length == 0) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("an empty module is not stored"));
    }
    return session.thenCompose(
        s ->
            statements(s)
                .thenCompose(
                    st ->
                        s.executeAsync(read(st.selectModule().bind(sha256)))
                            .thenCompose(rs -> storeIfAbsent(s, st, rs.one(), sha256, code))));
  }

  private CompletionStage<Boolean> storeIfAbsent(
      CqlSession s, Statements st, Row existing, String sha256, byte[] code) {
    if (existing != null && existing.getLong("size") == code.length) {
      return CompletableFuture.completedFuture(false);
    }
    int chunkBytes = settings.chunkBytes();
    int chunks = chunkCount(code.length, chunkBytes);
    CompletionStage<Void> written =
        forEachChunk(
            chunks,
            i -> {
              int from = i * chunkBytes;
              int length = Math.min(chunkBytes, code.length - from);
              return s.executeAsync(write(st.insertChunk().bind(sha256, i, ByteBuffer.wrap(code, from, length))));
            });
    return written
        .thenCompose(
            v ->
                s.executeAsync(
                    write(st.insertModule().bind(sha256, (long) code.length, chunkBytes, chunks, Instant.now()))))
        .thenApply(done -> true);
  }

  /** Whether a complete module is stored under {@code sha256}. */
  public CompletionStage<Boolean> contains(String sha256) {
    requireHash(sha256);
    return session.thenCompose(
        s -> statements(s).thenCompose(st -> s.executeAsync(read(st.selectModule().bind(sha256)))))
        .thenApply(rs -> rs.one() != null);
  }

  /**
   * The module stored under {@code sha256}, checked against its hash; fails with {@link NotFound}
   * or {@link Corrupt}.
   */
  public CompletionStage<byte[]> fetch(String sha256) {
    requireHash(sha256);
    return session.thenCompose(
        s ->
            statements(s)
                .thenCompose(
                    st ->
                        s.executeAsync(read(st.selectModule().bind(sha256)))
                            .thenCompose(rs -> readChunks(s, st, rs.one(), sha256))));
  }

  private CompletionStage<byte[]> readChunks(CqlSession s, Statements st, Row module, String sha256) {
    if (module == null) {
      return CompletableFuture.failedFuture(new NotFound(sha256));
    }
    long size = module.getLong("size");
    int chunkBytes = module.getInt("chunk_size");
    int chunks = module.getInt("chunks");
    if (size <= 0 || size > Integer.MAX_VALUE - 8 || chunkBytes <= 0 || chunks != chunkCount(size, chunkBytes)) {
      return CompletableFuture.failedFuture(
          new Corrupt(
              "module " + sha256 + " has an impossible layout: " + size + " bytes in " + chunks
                  + " chunks of " + chunkBytes));
    }
    byte[] out = new byte[(int) size];
    CompletionStage<Void> read =
        forEachChunk(
            chunks,
            i ->
                s.executeAsync(read(st.selectChunk().bind(sha256, i)))
                    .thenAccept(chunk -> copyChunk(sha256, chunk.one(), i, chunkBytes, out)));
    return read.thenApplyAsync(v -> verified(sha256, out), executor);
  }

  private static void copyChunk(String sha256, Row row, int index, int chunkBytes, byte[] out) {
    if (row == null) {
      throw new Corrupt("chunk " + index + " of module " + sha256 + " is missing");
    }
    ByteBuffer data = row.getByteBuffer("data");
    int from = index * chunkBytes;
    int expected = Math.min(chunkBytes, out.length - from);
    if (data == null || data.remaining() != expected) {
      throw new Corrupt(
          "chunk " + index + " of module " + sha256 + " has " + (data == null ? 0 : data.remaining())
              + " bytes instead of " + expected);
    }
    data.duplicate().get(out, from, expected);
  }

  private static byte[] verified(String sha256, byte[] bytes) {
    String actual = sha256(bytes);
    if (!actual.equals(sha256)) {
      throw new Corrupt("the module stored under " + sha256 + " hashes to " + actual);
    }
    return bytes;
  }

  private static int chunkCount(long size, int chunkBytes) {
    return (int) ((size + chunkBytes - 1) / chunkBytes);
  }

  /** Runs {@code op} for chunks 0..count-1, at most {@code parallelism} at once; fails at the first failure. */
  private CompletionStage<Void> forEachChunk(int count, IntFunction<CompletionStage<?>> op) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (count == 0) {
      done.complete(null);
      return done;
    }
    AtomicInteger next = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    Runnable[] step = new Runnable[1];
    step[0] =
        () -> {
          int i = next.getAndIncrement();
          if (i >= count || done.isDone()) {
            return;
          }
          CompletionStage<?> one;
          try {
            one = op.apply(i);
          } catch (RuntimeException e) {
            done.completeExceptionally(e);
            return;
          }
          one.whenComplete(
              (r, error) -> {
                if (error != null) {
                  done.completeExceptionally(error);
                } else if (finished.incrementAndGet() == count) {
                  done.complete(null);
                } else {
                  step[0].run();
                }
              });
        };
    for (int w = 0; w < Math.min(settings.parallelism(), count); w++) {
      step[0].run();
    }
    return done;
  }

  private CompletionStage<Statements> statements(CqlSession s) {
    CompletionStage<Statements> current = statements;
    if (current == null) {
      synchronized (this) {
        current = statements;
        if (current == null) {
          String ks = Schema.JOURNAL_KEYSPACE;
          CompletionStage<PreparedStatement> selectModule =
              s.prepareAsync("SELECT size, chunk_size, chunks FROM " + ks + ".modules WHERE hash = ?");
          CompletionStage<PreparedStatement> insertModule =
              s.prepareAsync(
                  "INSERT INTO " + ks + ".modules (hash, size, chunk_size, chunks, stored_at) VALUES (?, ?, ?, ?, ?)");
          CompletionStage<PreparedStatement> selectChunk =
              s.prepareAsync("SELECT data FROM " + ks + ".module_chunks WHERE hash = ? AND chunk = ?");
          CompletionStage<PreparedStatement> insertChunk =
              s.prepareAsync("INSERT INTO " + ks + ".module_chunks (hash, chunk, data) VALUES (?, ?, ?)");
          current =
              selectModule.thenCompose(
                  a ->
                      insertModule.thenCompose(
                          b -> selectChunk.thenCombine(insertChunk, (c, d) -> new Statements(a, b, c, d))));
          CompletionStage<Statements> prepared = current;
          statements = prepared;
          // a failed preparation (Cassandra unreachable) is tried again by the next call
          prepared.whenComplete(
              (ok, error) -> {
                if (error != null) {
                  synchronized (this) {
                    if (statements == prepared) {
                      statements = null;
                    }
                  }
                }
              });
        }
      }
    }
    return current;
  }

  private BoundStatement read(BoundStatement statement) {
    return statement.setConsistencyLevel(CONSISTENCY).setTimeout(settings.requestTimeout());
  }

  private BoundStatement write(BoundStatement statement) {
    return statement.setConsistencyLevel(CONSISTENCY).setTimeout(settings.requestTimeout()).setIdempotent(true);
  }

  private static void requireHash(String sha256) {
    if (!isHash(sha256)) {
      throw new IllegalArgumentException("not a SHA-256 in hex: " + sha256);
    }
  }

}
