package io.wavelink.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import io.wavelink.persistence.testkit.TestCassandra;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The key store against a real Cassandra: hashes only, one admin key per cluster. */
class ApiKeyStoreTest {

  private static CqlSession session;
  private static ApiKeyStore store;

  @BeforeAll
  static void connect() {
    session = TestCassandra.newSession();
    session.execute("TRUNCATE wavelink.api_keys");
    session.execute("TRUNCATE wavelink.api_key_ids");
    store = ApiKeyStore.using(session);
  }

  @AfterAll
  static void close() {
    if (session != null) {
      session.close();
    }
  }

  @Test
  void oneAdminKeyWhoeverAsksAtOnceAndOnlyItsHashIsStored() throws Exception {
    List<String> secrets = IntStream.range(0, 4).mapToObj(i -> ApiKeyStore.newSecret()).toList();
    List<CompletableFuture<Boolean>> racing =
        secrets.stream().map(s -> store.createAdminIfAbsent(s).toCompletableFuture()).toList();
    List<String> created = IntStream.range(0, 4).filter(i -> racing.get(i).join()).mapToObj(secrets::get).toList();
    assertEquals(1, created.size(), "exactly one of the racing members creates it");
    String secret = created.get(0);
    assertTrue(store.createAdminIfAbsent(secret).toCompletableFuture().get(30, TimeUnit.SECONDS),
        "asked again with its secret (an answer that was lost), the winner learns it is the admin key");
    assertTrue(secret.startsWith("wlk_") && secret.length() == 47, secret);

    ApiKeyStore.Key key = store.find(ApiKeyStore.hash(secret)).toCompletableFuture().get(30, TimeUnit.SECONDS).orElseThrow();
    assertEquals(ApiKeyStore.ADMIN_ID, key.id());
    assertEquals(ApiKeyStore.ADMIN_ROLE, key.role());
    assertTrue(key.valid(Instant.now()));
    assertEquals(1, session.execute("SELECT hash FROM wavelink.api_keys").all().size(), "the losers removed their rows");
    String rows = session.execute("SELECT * FROM wavelink.api_keys").all().stream()
        .map(com.datastax.oss.driver.api.core.cql.Row::getFormattedContents).toList().toString();
    assertTrue(rows.contains(ApiKeyStore.hash(secret)), rows);
    assertFalse(rows.contains(secret), "never the key: " + rows);

    assertFalse(store.createAdminIfAbsent(ApiKeyStore.newSecret()).toCompletableFuture().get(30, TimeUnit.SECONDS),
        "once only");
    assertTrue(store.find(ApiKeyStore.hash("wlk_not-a-key")).toCompletableFuture().get(30, TimeUnit.SECONDS).isEmpty());
  }

  @Test
  void anExpiredOrRevokedKeyIsNotValid() {
    Instant now = Instant.now();
    assertFalse(new ApiKeyStore.Key("k", "developer", "a", now.minusSeconds(1), false).valid(now));
    assertFalse(new ApiKeyStore.Key("k", "developer", "a", null, true).valid(now));
    assertTrue(new ApiKeyStore.Key("k", "developer", "a", now.plusSeconds(60), false).valid(now));
  }
}
