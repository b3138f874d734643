package io.wavelink.persistence;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.ClassicActorSystemProvider;

/**
 * Asynchronous invocations in Cassandra: the tables {@code async_*} of {@link Schema}. This is the
 * only place an invocation touches Cassandra, because the caller asked for durability; synchronous
 * calls are never written.
 *
 * <ul>
 *   <li>{@code async_invocations}: one record per accepted call, with its input, status, attempts and
 *       result;
 *   <li>{@code async_queue}: when a call is due, per function and hour. A row is live while its
 *       {@code seq} is its record's: a retry writes a new row with the next seq, and no row is ever
 *       deleted (all expire by TTL), so a dispatcher scanning a function's rows in due order never
 *       wades through tombstones;
 *   <li>{@code async_backlog}: which functions have async calls, per dispatcher shard, and how far the
 *       dispatcher got ({@code cursor});
 *   <li>{@code async_by_function}, {@code async_dead_letters}, {@code async_idempotency}.
 * </ul>
 *
 * Every write carries the retention as its TTL, refreshed by each update of a record. Reads and
 * writes are at QUORUM, like the journal's. Uses the journal's driver session. Thread-safe.
 */
public final class AsyncStore {

  /** Statuses of a record. {@code failed}: an attempt failed and a retry is scheduled. */
  public static final String QUEUED = "queued";
  public static final String RUNNING = "running";
  public static final String SUCCEEDED = "succeeded";
  public static final String FAILED = "failed";
  public static final String DEAD = "dead";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String REDRIVEN = "redriven";
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final String KS = Schema.JOURNAL_KEYSPACE;

  /**
   * An accepted call.
   *
   * @param seq which queue row is live (0 at accept; each retry and redrive adds one)
   * @param leaseUntil while {@code running}: until when the dispatcher that runs it holds it
   * @param attempts each attempt's record, as the dispatcher wrote it (JSON), oldest first
   * @param starts when and where each run began: more starts than attempts means a run was cut
   *     short (its dispatcher's member died) and the call ran again (at least once)
   * @param attemptBase attempts before the last redrive (they do not count against the retries)
   * @param source what made the call: empty for a client's, else e.g. the schedule and its tick
   */
  public record Invocation(
      String id,
      String function,
      String status,
      int seq,
      byte[] input,
      Instant createdAt,
      Instant updatedAt,
      Instant leaseUntil,
      List<String> attempts,
      List<String> starts,
      int attemptBase,
      byte[] result,
      String stderr,
      String message,
      String source) {

    public boolean terminal() {
      return SUCCEEDED.equals(status) || DEAD.equals(status);
    }
  }

  /** What an accept did: the call's id, and whether it is an earlier call's (the same idempotency key). */
  public record Accepted(String id, boolean replay) {}

  /** A queue row: the call {@code id} is due at {@code due}; live while {@code seq} is the record's. */
  public record QueueRow(Instant due, String id, int seq) {}

  /** A dead letter: the call, when it died and why. */
  public record DeadLetter(String id, Instant deadAt, String message) {}

  /** A page of ids and the token of the next page (null on the last). */
  public record Page(List<String> ids, String next) {}

  /**
   * A backlog entry: a function with async calls, the dispatcher's durable cursor (null: none yet),
   * and the last accept that wrote the entry (a gateway writes it at most once a minute per function).
   */
  public record Backlog(String function, Instant cursor, Instant lastAccept) {}

  private final CompletionStage<CqlSession> session;
  private final int ttlSeconds;
  private final int idempotencyTtlSeconds;
  private final Map<String, CompletionStage<PreparedStatement>> prepared = new ConcurrentHashMap<>();
  /** when this store last wrote each function's backlog entry */
  private final Map<String, Long> backlogWrittenAt = new ConcurrentHashMap<>();
  /** a gateway writes a function's backlog entry at most this often: after this long without a call, the next call writes it */
  private final long backlogRefreshMs;

  private AsyncStore(CompletionStage<CqlSession> session, Duration retention, Duration idempotencyWindow,
      Duration backlogRefresh) {
    this.session = session;
    this.backlogRefreshMs = backlogRefresh.toMillis();
    this.ttlSeconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, retention.toSeconds()));
    this.idempotencyTtlSeconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, idempotencyWindow.toSeconds()));
  }

  /** The store of {@code system}, on the journal's driver session. */
  public static AsyncStore create(
      ClassicActorSystemProvider system, Duration retention, Duration idempotencyWindow, Duration backlogRefresh) {
    return new AsyncStore(
        io.wavelink.persistence.internal.DriverSessions.journalSession(system, JournalHealth.PLUGIN_CONFIG_PATH),
        retention, idempotencyWindow, backlogRefresh);
  }

  /** A store on a session of the caller's (tests, tools). */
  public static AsyncStore using(CqlSession session, Duration retention, Duration idempotencyWindow) {
    return new AsyncStore(CompletableFuture.completedFuture(session), retention, idempotencyWindow, Duration.ofMinutes(1));
  }

  /** A new invocation id: {@code inv_} and 22 base64url characters (16 random bytes). */
  public static String newId() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return "inv_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The hour bucket of the queue partition holding {@code due}. */
  public static long hour(Instant due) {
    return Math.floorDiv(due.toEpochMilli(), 3_600_000L);
  }

  /** Which of {@code shards} dispatchers serves {@code function}: a stable hash, the same on every member. */
  public static int shardOf(String function, int shards) {
    return Math.floorMod(function.hashCode(), shards);
  }

  // ---------------------------------------------------------------- accept

  /**
   * Records a call durably and queues it. With an {@code idempotencyKey}, a key seen before (within
   * the idempotency window) answers the first call's id instead; a first attempt whose writes failed
   * half-way is completed by the retry. Completes exceptionally if Cassandra did not take it.
   */
  public CompletionStage<Accepted> accept(String function, byte[] input, String idempotencyKey, int shards) {
    return accept(function, input, idempotencyKey, shards, "");
  }

  /** {@link #accept(String, byte[], String, int)}, saying what made the call ({@code source}). */
  public CompletionStage<Accepted> accept(String function, byte[] input, String idempotencyKey, int shards, String source) {
    String fresh = newId();
    if (idempotencyKey == null) {
      return write(function, fresh, input, shards, source).thenApply(done -> new Accepted(fresh, false));
    }
    return execute(
            "INSERT INTO " + KS + ".async_idempotency (function, key, id) VALUES (?, ?, ?) IF NOT EXISTS USING TTL ?",
            function, idempotencyKey, fresh, idempotencyTtlSeconds)
        .thenCompose(rs -> {
          if (rs.wasApplied()) {
            return write(function, fresh, input, shards, source).thenApply(done -> new Accepted(fresh, false));
          }
          String first = rs.one().getString("id");
          return get(first).thenCompose(existing -> {
            if (existing.isEmpty()) {
              // the first attempt's writes failed before its record: make them now
              return write(function, first, input, shards, source).thenApply(done -> new Accepted(first, true));
            }
            Invocation inv = existing.get();
            if (QUEUED.equals(inv.status()) && inv.seq() == 0 && inv.attempts().isEmpty() && inv.starts().isEmpty()) {
              // never started: its queue row may be the write that failed; another row for the same
              // call and seq is harmless (a dispatcher runs a call and seq once)
              return enqueue(function, first, 0, Instant.now())
                  .thenCompose(done -> touchBacklog(function, shards, Instant.now(), true))
                  .thenApply(done -> new Accepted(first, true));
            }
            return CompletableFuture.completedFuture(new Accepted(first, true));
          });
        });
  }

  private CompletionStage<Void> write(String function, String id, byte[] input, int shards, String source) {
    Instant now = Instant.now();
    // the record first: a dispatcher that finds a queue row without its record looks again for a
    // while, but a record is never there without the write of its row having been tried
    return execute(
            "INSERT INTO " + KS + ".async_invocations (id, function, status, seq, input, created_at, updated_at,"
                + " attempt_base, source) VALUES (?, ?, ?, 0, ?, ?, ?, 0, ?) USING TTL ?",
            id, function, QUEUED, ByteBuffer.wrap(input), now, now, source, ttlSeconds)
        .thenCompose(recorded -> {
          CompletableFuture<?> queued = enqueue(function, id, 0, now).toCompletableFuture();
          CompletableFuture<?> backlog = touchBacklog(function, shards, now, false).toCompletableFuture();
          CompletableFuture<?> listed = execute(
                  "INSERT INTO " + KS + ".async_by_function (function, created, id) VALUES (?, ?, ?) USING TTL ?",
                  function, Uuids.timeBased(), id, ttlSeconds)
              .toCompletableFuture();
          return CompletableFuture.allOf(queued, backlog, listed);
        });
  }

  /**
   * The backlog entry only tells the dispatcher to look at the function: written once a minute per
   * function and store (its TTL is the retention), not on every accept, unless {@code always}.
   */
  private CompletionStage<Void> touchBacklog(String function, int shards, Instant now, boolean always) {
    Long written = backlogWrittenAt.get(function);
    if (!always && written != null && now.toEpochMilli() - written < Math.min(backlogRefreshMs, ttlSeconds * 500L)) {
      return CompletableFuture.completedFuture(null);
    }
    return execute(
            "UPDATE " + KS + ".async_backlog USING TTL ? SET last_accept = ? WHERE shard = ? AND function = ?",
            ttlSeconds, now, shardOf(function, shards), function)
        .thenApply(rs -> {
          backlogWrittenAt.put(function, now.toEpochMilli());
          return null;
        });
  }

  private CompletionStage<AsyncResultSet> enqueue(String function, String id, int seq, Instant due) {
    return execute(
        "INSERT INTO " + KS + ".async_queue (function, hour, due, id, seq) VALUES (?, ?, ?, ?, ?) USING TTL ?",
        function, hour(due), due, id, seq, ttlSeconds);
  }

  // ---------------------------------------------------------------- reads

  /** The record of call {@code id}, if it exists and has not expired. */
  public CompletionStage<Optional<Invocation>> get(String id) {
    return execute(
            "SELECT id, function, status, seq, input, created_at, updated_at, lease_until, attempts, starts, attempt_base,"
                + " result, stderr, message, source FROM " + KS + ".async_invocations WHERE id = ?",
            id)
        .thenApply(rs -> Optional.ofNullable(rs.one()).map(AsyncStore::invocation));
  }

  private static Invocation invocation(Row r) {
    return new Invocation(
        r.getString("id"), r.getString("function"), r.getString("status"), r.getInt("seq"), bytes(r.getByteBuffer("input")),
        r.getInstant("created_at"), r.getInstant("updated_at"), r.getInstant("lease_until"),
        r.getList("attempts", String.class), r.getList("starts", String.class), r.getInt("attempt_base"), bytes(r.getByteBuffer("result")),
        r.getString("stderr"), r.getString("message"), r.getString("source") == null ? "" : r.getString("source"));
  }

  private static byte[] bytes(ByteBuffer b) {
    if (b == null) {
      return new byte[0];
    }
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  /** A page of {@code function}'s calls, newest first; {@code pageToken} from the previous page. */
  public CompletionStage<Page> list(String function, int limit, String pageToken) {
    return session.thenCompose(s -> preparedFor(s,
                "SELECT id FROM " + KS + ".async_by_function WHERE function = ?")
            .thenCompose(ps -> {
              BoundStatement b = bind(ps, function).setPageSize(limit);
              if (pageToken != null && !pageToken.isEmpty()) {
                b = b.setPagingState(ByteBuffer.wrap(Base64.getUrlDecoder().decode(pageToken)));
              }
              return s.executeAsync(b);
            }))
        .thenApply(rs -> {
          List<String> ids = new ArrayList<>();
          for (Row r : rs.currentPage()) {
            ids.add(r.getString("id"));
          }
          ByteBuffer paging = rs.getExecutionInfo().getPagingState();
          String next = null;
          if (rs.hasMorePages() && paging != null) {
            byte[] token = new byte[paging.remaining()];
            paging.duplicate().get(token);
            next = Base64.getUrlEncoder().withoutPadding().encodeToString(token);
          }
          return new Page(ids, next);
        });
  }

  /** {@code function}'s dead letters (at most {@code limit}). */
  public CompletionStage<List<DeadLetter>> deadLetters(String function, int limit) {
    return execute(
            "SELECT id, dead_at, message FROM " + KS + ".async_dead_letters WHERE function = ? LIMIT ?", function, limit)
        .thenApply(rs -> {
          List<DeadLetter> out = new ArrayList<>();
          for (Row r : rs.currentPage()) {
            out.add(new DeadLetter(r.getString("id"), r.getInstant("dead_at"), r.getString("message")));
          }
          return out;
        });
  }

  /** The functions of dispatcher shard {@code shard}. */
  public CompletionStage<List<Backlog>> backlog(int shard) {
    return execute("SELECT function, cursor, last_accept FROM " + KS + ".async_backlog WHERE shard = ?", shard)
        .thenCompose(AsyncStore::allRows)
        .thenApply(rows -> rows.stream()
            .map(r -> new Backlog(r.getString("function"), r.getInstant("cursor"), r.getInstant("last_accept"))).toList());
  }

  /**
   * {@code function}'s queue rows due in {@code [from, to]} within the hour bucket of {@code from},
   * in due order, at most {@code limit}.
   */
  public CompletionStage<List<QueueRow>> queueRows(String function, Instant from, Instant to, int limit) {
    return execute(
            "SELECT due, id, seq FROM " + KS + ".async_queue WHERE function = ? AND hour = ? AND due >= ? AND due <= ?"
                + " LIMIT ?",
            function, hour(from), from, to, limit)
        .thenCompose(AsyncStore::allRows)
        .thenApply(rows -> rows.stream().map(r -> new QueueRow(r.getInstant("due"), r.getString("id"), r.getInt("seq"))).toList());
  }

  // ---------------------------------------------------------------- dispatcher writes

  /** Remembers how far the dispatcher of {@code shard} got with {@code function}. */
  public CompletionStage<Void> saveCursor(int shard, String function, Instant cursor) {
    return execute("UPDATE " + KS + ".async_backlog USING TTL ? SET cursor = ? WHERE shard = ? AND function = ?",
            ttlSeconds, cursor, shard, function)
        .thenApply(rs -> null);
  }

  /**
   * Marks a call running under a lease (a dispatcher that takes over leaves it alone until then), and
   * notes the start ({@code start}: when and by whom).
   */
  public CompletionStage<Void> running(String id, Instant leaseUntil, String start) {
    return execute("UPDATE " + KS + ".async_invocations USING TTL ? SET status = ?, lease_until = ?, updated_at = ?,"
                + " starts = starts + ? WHERE id = ?",
            ttlSeconds, RUNNING, leaseUntil, Instant.now(), List.of(start), id)
        .thenApply(rs -> null);
  }

  /** The call succeeded: its result and the attempt's record. */
  public CompletionStage<Void> succeeded(String id, String attempt, byte[] result, String stderr) {
    return execute("UPDATE " + KS + ".async_invocations USING TTL ? SET status = ?, attempts = attempts + ?,"
                + " result = ?, stderr = ?, message = ?, updated_at = ?, lease_until = null WHERE id = ?",
            ttlSeconds, SUCCEEDED, List.of(attempt), ByteBuffer.wrap(result), stderr, "", Instant.now(), id)
        .thenApply(rs -> null);
  }

  /**
   * An attempt failed (or was deferred, then {@code attempt} is null) and the call runs again at
   * {@code due}, under queue row {@code seq}.
   */
  public CompletionStage<Void> retry(
      String function, String id, int seq, Instant due, String status, String attempt, String message, String stderr) {
    List<String> add = attempt == null ? List.of() : List.of(attempt);
    // the queue row first: a record pointing at a row that was never written would never run
    return enqueue(function, id, seq, due)
        .thenCompose(done -> execute("UPDATE " + KS + ".async_invocations USING TTL ? SET status = ?, seq = ?,"
                + " attempts = attempts + ?, message = ?, stderr = ?, updated_at = ?, lease_until = null WHERE id = ?",
            ttlSeconds, status, seq, add, message, stderr, Instant.now(), id))
        .thenApply(rs -> null);
  }

  /** The last attempt failed: the call is dead, listed among its function's dead letters. */
  public CompletionStage<Void> dead(String function, String id, String attempt, String message, String stderr) {
    Instant now = Instant.now();
    List<String> add = attempt == null ? List.of() : List.of(attempt);
    return execute("UPDATE " + KS + ".async_invocations USING TTL ? SET status = ?, attempts = attempts + ?,"
                + " message = ?, stderr = ?, updated_at = ?, lease_until = null WHERE id = ?",
            ttlSeconds, DEAD, add, message, stderr, now, id)
        .thenCompose(done -> execute("INSERT INTO " + KS + ".async_dead_letters (function, id, dead_at, message)"
                + " VALUES (?, ?, ?, ?) USING TTL ?",
            function, id, now, message, ttlSeconds))
        .thenApply(rs -> null);
  }

  /**
   * Sends a dead call again, with a fresh budget of attempts: false if {@code id} is not a dead call
   * of {@code function}.
   */
  public CompletionStage<Boolean> redrive(String function, String id, int shards) {
    return get(id).thenCompose(found -> {
      if (found.isEmpty() || !found.get().function().equals(function)) {
        return CompletableFuture.completedFuture(false);
      }
      Invocation inv = found.get();
      // a redrive whose queue row was not written (the client saw a 503) may be sent again
      boolean again = QUEUED.equals(inv.status()) && REDRIVEN.equals(inv.message());
      if (!DEAD.equals(inv.status()) && !again) {
        return CompletableFuture.completedFuture(false);
      }
      int seq = again ? inv.seq() : inv.seq() + 1;
      Instant now = Instant.now();
      // the record first: a row found before its record's new seq is looked at again (see write)
      CompletionStage<AsyncResultSet> recorded = again
          ? CompletableFuture.completedFuture(null)
          : execute("UPDATE " + KS + ".async_invocations USING TTL ? SET status = ?, seq = ?,"
                  + " attempt_base = ?, message = ?, updated_at = ? WHERE id = ?",
              ttlSeconds, QUEUED, seq, inv.attempts().size(), REDRIVEN, now, id);
      return recorded
          .thenCompose(done -> enqueue(function, id, seq, now))
          .thenCompose(done -> touchBacklog(function, shards, now, true))
          .thenCompose(done -> execute("DELETE FROM " + KS + ".async_dead_letters WHERE function = ? AND id = ?",
              function, id))
          .thenApply(done -> true);
    });
  }

  // ---------------------------------------------------------------- schedules

  /** A function with cron schedules, and each schedule's last fired tick by its key. */
  public record Scheduled(String function, Map<String, Instant> fired) {}

  /** Registers (true) or unregisters {@code function} with the dispatcher that serves it. */
  public CompletionStage<Void> schedules(String function, boolean has, int shards) {
    int shard = shardOf(function, shards);
    if (has) {
      // the row marker alone: the fired ticks of schedules kept across a redeploy stay
      return execute("INSERT INTO " + KS + ".async_schedules (shard, function) VALUES (?, ?)", shard, function)
          .thenApply(rs -> null);
    }
    // deleted only if it is there: a delete is a tombstone in the shard's partition, which every
    // read of the shard's schedules scans until compaction, and most functions never had schedules
    // (100,000 deploys would leave 100,000 tombstones in a few partitions: Cassandra refuses a read
    // that meets 100,000)
    return execute("SELECT function FROM " + KS + ".async_schedules WHERE shard = ? AND function = ?", shard, function)
        .thenCompose(rs -> rs.one() == null
            ? CompletableFuture.<Void>completedFuture(null)
            : execute("DELETE FROM " + KS + ".async_schedules WHERE shard = ? AND function = ?", shard, function)
                .thenApply(done -> (Void) null));
  }

  /** The functions with schedules of dispatcher shard {@code shard}. */
  public CompletionStage<List<Scheduled>> scheduled(int shard) {
    return execute("SELECT function, fired FROM " + KS + ".async_schedules WHERE shard = ?", shard)
        .thenCompose(AsyncStore::allRows)
        .thenApply(rows -> rows.stream()
            .map(r -> new Scheduled(r.getString("function"), r.getMap("fired", String.class, Instant.class))).toList());
  }

  /** Remembers the last tick of schedule {@code key} that {@code function} fired (or its baseline). */
  public CompletionStage<Void> fired(int shard, String function, String key, Instant tick) {
    return execute("UPDATE " + KS + ".async_schedules SET fired[?] = ? WHERE shard = ? AND function = ?",
            key, tick, shard, function)
        .thenApply(rs -> null);
  }

  // ---------------------------------------------------------------- plumbing

  /** Every row of a result, page after page (the driver pages at 5,000 rows). */
  private static CompletionStage<List<Row>> allRows(AsyncResultSet first) {
    List<Row> rows = new ArrayList<>();
    return collect(first, rows);
  }

  private static CompletionStage<List<Row>> collect(AsyncResultSet page, List<Row> rows) {
    for (Row r : page.currentPage()) {
      rows.add(r);
    }
    if (!page.hasMorePages()) {
      return CompletableFuture.completedFuture(rows);
    }
    return page.fetchNextPage().thenCompose(next -> collect(next, rows));
  }

  private CompletionStage<AsyncResultSet> execute(String cql, Object... values) {
    return session.thenCompose(s -> preparedFor(s, cql).thenCompose(ps -> s.executeAsync(bind(ps, values))));
  }

  private CompletionStage<PreparedStatement> preparedFor(CqlSession s, String cql) {
    CompletionStage<PreparedStatement> ps = prepared.computeIfAbsent(cql, c -> s.prepareAsync(c));
    // a failed preparation (Cassandra down) is tried again on the next use
    ps.whenComplete((p, e) -> {
      if (e != null) {
        prepared.remove(cql, ps);
      }
    });
    return ps;
  }

  private static BoundStatement bind(PreparedStatement ps, Object... values) {
    return ps.bind(values).setConsistencyLevel(DefaultConsistencyLevel.QUORUM).setTimeout(TIMEOUT);
  }
}
