package io.wavelink.persistence;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ClassicActorSystemProvider;

/**
 * API keys in Cassandra (tables {@code wavelink.api_keys} and {@code wavelink.api_key_ids} of
 * {@link Schema}). Only a key's SHA-256 is stored: a key is 32 random bytes, so its hash needs no
 * salt, and whoever reads the table cannot call the API with what they read. A gateway looks a
 * presented key up by its hash ({@link #find}).
 *
 * <p>The admin key is created once per cluster ({@link #createAdminIfAbsent}): the first member to
 * win a lightweight transaction on the id {@code admin} creates it; the others find it there. Reads
 * and writes are at QUORUM, as the journal's. Uses the journal's driver session. Thread-safe.
 */
public final class ApiKeyStore {

  /** What a stored key grants. {@code expiresAt} null: it does not expire. */
  public record Key(String id, String role, String namespace, Instant expiresAt, boolean revoked) {

    /** A key as listed: what it grants, when it was made, never its secret or hash. */
    public record Listed(Key key, Instant createdAt) {}

    /** Whether it may be used at {@code now}. */
    public boolean valid(Instant now) {
      return !revoked && (expiresAt == null || now.isBefore(expiresAt));
    }
  }

  public static final String ADMIN_ID = "admin";
  public static final String ADMIN_ROLE = "admin";

  private static final String PREFIX = "wlk_";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final CompletionStage<CqlSession> session;

  private ApiKeyStore(CompletionStage<CqlSession> session) {
    this.session = session;
  }

  /** The store of {@code system}, on the journal's driver session. */
  public static ApiKeyStore create(ClassicActorSystemProvider system) {
    return new ApiKeyStore(
        io.wavelink.persistence.internal.DriverSessions.journalSession(system, JournalHealth.PLUGIN_CONFIG_PATH));
  }

  /** A store on a session of the caller's (tests, tools). */
  public static ApiKeyStore using(CqlSession session) {
    return new ApiKeyStore(CompletableFuture.completedFuture(session));
  }

  /** A new secret key: {@code wlk_} and 43 base64url characters (32 random bytes). */
  public static String newSecret() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** A new key id: {@code k_} and 12 base64url characters, drawn apart from any secret. */
  public static String newId() {
    byte[] bytes = new byte[9];
    RANDOM.nextBytes(bytes);
    return "k_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The SHA-256 of a key, as 64 lower-case hex digits: what is stored and looked up. */
  public static String hash(String secret) {
    return ModuleStore.sha256(secret.getBytes(StandardCharsets.UTF_8));
  }


  /** The key stored under {@code hash}, if any. */
  public CompletionStage<Optional<Key>> find(String hash) {
    return session.thenCompose(s -> s.executeAsync(statement(
            "SELECT id, role, namespace, expires_at, revoked FROM " + Schema.JOURNAL_KEYSPACE + ".api_keys WHERE hash = ?",
            hash)))
        .thenApply(rs -> {
          Row row = rs.one();
          return row == null
              ? Optional.empty()
              : Optional.of(new Key(row.getString("id"), row.getString("role"), row.getString("namespace"),
                  row.getInstant("expires_at"), row.getBoolean("revoked")));
        });
  }

  /**
   * Makes {@code secret} the cluster's admin key unless another one is: true if the admin key is
   * {@code secret} (made now, or by an earlier call with the same secret whose answer was lost),
   * false if another member or an earlier start made a different one. Safe to call again with the
   * same secret after a failure.
   */
  public CompletionStage<Boolean> createAdminIfAbsent(String secret) {
    String hash = hash(secret);
    String ks = Schema.JOURNAL_KEYSPACE;
    // the key's row first: a member that loses the race below removes its own again
    return session.thenCompose(s -> s.executeAsync(statement(
                "INSERT INTO " + ks + ".api_keys (hash, id, role, namespace, created_at, revoked) VALUES (?, ?, ?, ?, ?, false)",
                hash, ADMIN_ID, ADMIN_ROLE, "", Instant.now()))
            .thenCompose(done -> s.executeAsync(statement(
                "INSERT INTO " + ks + ".api_key_ids (id, hash) VALUES (?, ?) IF NOT EXISTS", ADMIN_ID, hash)))
            .thenCompose(rs -> {
              if (rs.wasApplied() || hash.equals(rs.one().getString("hash"))) {
                return CompletableFuture.completedFuture(true);
              }
              return s.executeAsync(statement("DELETE FROM " + ks + ".api_keys WHERE hash = ?", hash))
                  .thenApply(gone -> false);
            }));
  }

  /**
   * Stores a new key under the hash of {@code secret} (which the caller shows once and never again)
   * and its id.
   */
  public CompletionStage<Void> add(String secret, Key key) {
    String hash = hash(secret);
    String ks = Schema.JOURNAL_KEYSPACE;
    return session.thenCompose(s -> s.executeAsync(statement(
                "INSERT INTO " + ks + ".api_keys (hash, id, role, namespace, created_at, expires_at, revoked)"
                    + " VALUES (?, ?, ?, ?, ?, ?, false)",
                hash, key.id(), key.role(), key.namespace(), Instant.now(), key.expiresAt()))
            .thenCompose(done -> s.executeAsync(statement(
                "INSERT INTO " + ks + ".api_key_ids (id, hash) VALUES (?, ?)", key.id(), hash))))
        .thenApply(done -> null);
  }

  /**
   * The keys of {@code namespace} (all of them for null), without secrets. Reads the whole key table:
   * meant for the tens or hundreds of keys a cluster has, not millions.
   */
  public CompletionStage<java.util.List<Key.Listed>> list(String namespace) {
    return session.thenCompose(s -> s.executeAsync(statement(
            "SELECT id, role, namespace, created_at, expires_at, revoked FROM " + Schema.JOURNAL_KEYSPACE + ".api_keys")))
        .thenApply(rs -> {
          java.util.List<Key.Listed> keys = new java.util.ArrayList<>();
          for (Row row : rs.currentPage()) {
            Key key = new Key(row.getString("id"), row.getString("role"), row.getString("namespace"),
                row.getInstant("expires_at"), row.getBoolean("revoked"));
            if (namespace == null || namespace.equals(key.namespace()) || ADMIN_ROLE.equals(key.role())) {
              keys.add(new Key.Listed(key, row.getInstant("created_at")));
            }
          }
          keys.sort(java.util.Comparator.comparing((Key.Listed l) -> l.key().id()));
          return keys;
        });
  }

  /** Revokes the key with {@code id}: false if there is none. */
  public CompletionStage<Boolean> revoke(String id) {
    String ks = Schema.JOURNAL_KEYSPACE;
    return session.thenCompose(s -> s.executeAsync(statement("SELECT hash FROM " + ks + ".api_key_ids WHERE id = ?", id))
        .thenCompose(rs -> {
          Row row = rs.one();
          if (row == null) {
            return CompletableFuture.completedFuture(false);
          }
          return s.executeAsync(statement("UPDATE " + ks + ".api_keys SET revoked = true WHERE hash = ?", row.getString("hash")))
              .thenApply(done -> true);
        }));
  }

  private static SimpleStatement statement(String cql, Object... values) {
    return SimpleStatement.newInstance(cql, values)
        .setConsistencyLevel(DefaultConsistencyLevel.QUORUM)
        .setTimeout(TIMEOUT);
  }
}
