package io.wavelink.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SchemaTest {

  @Test
  void splitsTheScriptIntoIdempotentStatements() {
    List<String> statements = Schema.statements();
    assertEquals(
        2 + Schema.JOURNAL_TABLES.size() + Schema.SNAPSHOT_TABLES.size(), statements.size());
    statements.forEach(
        s -> assertTrue(s.matches("(?s)CREATE (KEYSPACE|TABLE) IF NOT EXISTS .*"), s));
    assertTrue(statements.get(0).startsWith("CREATE KEYSPACE IF NOT EXISTS wavelink\n"));
  }

  @Test
  void dropsCommentLinesEvenWithSemicolons() {
    assertEquals(
        List.of("CREATE TABLE a (x int PRIMARY KEY)", "CREATE TABLE b (y int PRIMARY KEY)"),
        Schema.parse(
            "-- a comment; with a semicolon\nCREATE TABLE a (x int PRIMARY KEY);\n"
                + "  -- indented\nCREATE TABLE b (y int PRIMARY KEY);\n"));
  }
}
