package io.wavelink.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.typesafe.config.ConfigFactory;
import io.wavelink.persistence.testkit.TestCassandra;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.cassandra.KeyspaceAndTableStatements;
import org.apache.pekko.persistence.cassandra.PluginSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real Cassandra of {@link TestCassandra} runs and holds WaveLink's schema. */
class CassandraServerTest {

  private static CqlSession session;

  @BeforeAll
  static void connect() {
    session = TestCassandra.newSession();
  }

  @AfterAll
  static void disconnect() {
    session.close();
  }

  @Test
  void answersCqlAsCassandra5() {
    Row row = session.execute("SELECT release_version FROM system.local").one();
    assertTrue(row.getString("release_version").startsWith("5.0"), row.getString(0));
  }

  @Test
  void holdsTheJournalAndSnapshotTables() {
    assertEquals(Set.copyOf(Schema.JOURNAL_TABLES), tables(Schema.JOURNAL_KEYSPACE));
    assertEquals(Set.copyOf(Schema.SNAPSHOT_TABLES), tables(Schema.SNAPSHOT_KEYSPACE));
  }

  @Test
  void applyingTheSchemaAgainChangesNothing() {
    String before = columns(Schema.JOURNAL_KEYSPACE) + columns(Schema.SNAPSHOT_KEYSPACE);
    Schema.apply(session);
    Schema.apply(TestCassandra.contactPoint(), TestCassandra.localDatacenter());
    assertEquals(before, columns(Schema.JOURNAL_KEYSPACE) + columns(Schema.SNAPSHOT_KEYSPACE));
  }

  /**
   * Creates the plugin's own tables (pekko-persistence-cassandra's statements for its autocreate,
   * with events-by-tag on) in scratch keyspaces and compares every column, type and key position
   * with the checked-in schema.
   */
  @Test
  void matchesTheTablesThePluginWouldCreate() throws Exception {
    ActorSystem system =
        ActorSystem.create(
            "schema-check",
            ConfigFactory.parseString(
                    """
                    pekko.persistence.cassandra.journal.keyspace = schema_check
                    pekko.persistence.cassandra.snapshot.keyspace = schema_check_snapshot
                    pekko.persistence.cassandra.events-by-tag.enabled = true
                    """)
                .withFallback(ConfigFactory.load()));
    try {
      KeyspaceAndTableStatements statements =
          new KeyspaceAndTableStatements(
              system,
              "pekko.persistence.cassandra",
              PluginSettings.apply(
                  system, system.settings().config().getConfig("pekko.persistence.cassandra")));
      List<String> cql = new ArrayList<>();
      cql.add(statements.createJournalKeyspaceStatement());
      cql.addAll(statements.getCreateJournalTablesStatements());
      cql.add(statements.createSnapshotKeyspaceStatement());
      cql.addAll(statements.getCreateSnapshotTablesStatements());
      cql.forEach(session::execute);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    // the journal's keyspace also holds the module store's and the key store's tables, WaveLink's own
    assertEquals(columns("schema_check"), columns(Schema.JOURNAL_KEYSPACE, Schema.OWN_TABLES));
    assertEquals(columns("schema_check_snapshot"), columns(Schema.SNAPSHOT_KEYSPACE));
  }

  private static Set<String> tables(String keyspace) {
    return session
        .execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?", keyspace)
        .all()
        .stream()
        .map(row -> row.getString("table_name"))
        .collect(Collectors.toSet());
  }

  /** table.column -> type, kind, position, clustering order; sorted. */
  private static String columns(String keyspace) {
    return columns(keyspace, List.of());
  }

  /** As {@link #columns(String)}, without the tables {@code except}. */
  private static String columns(String keyspace, List<String> except) {
    TreeMap<String, String> columns = new TreeMap<>();
    for (Row row :
        session.execute(
            "SELECT table_name, column_name, type, kind, position, clustering_order"
                + " FROM system_schema.columns WHERE keyspace_name = ?",
            keyspace)) {
      if (except.contains(row.getString("table_name"))) {
        continue;
      }
      columns.put(
          row.getString("table_name") + "." + row.getString("column_name"),
          row.getString("type")
              + " "
              + row.getString("kind")
              + " "
              + row.getInt("position")
              + " "
              + row.getString("clustering_order"));
    }
    return columns.toString();
  }
}
