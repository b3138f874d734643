package io.wavelink.cluster.chaos;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Reads the whole event journal ({@code wavelink.messages}) straight from Cassandra and checks that
 * every persistence id had one writer at a time. pekko-persistence-cassandra does not fence writers:
 * two incarnations of one persistent actor on two members both write, each with the sequence
 * numbers it believes are next, and nothing fails. What that leaves in the table:
 *
 * <ul>
 *   <li>a <b>duplicate</b> sequence number: two rows with one {@code sequence_nr} (the primary key
 *       also holds the write's time-based {@code timestamp}, so neither overwrites the other on
 *       disk; a replay then silently drops one of them);
 *   <li>an <b>interleaving</b>: writer A, then writer B, then A again ({@code writer_uuid} is new for
 *       every incarnation of a persistent actor, so A writing after B took over means both ran);
 *   <li>a <b>gap</b> in the sequence numbers, or a sequence that does not start at 1 (WaveLink
 *       never deletes events);
 *   <li>events of two writers whose <b>times</b> contradict their sequence numbers.
 * </ul>
 *
 * The audit also lists every <b>handover</b> (a persistence id whose writer changed), with the time
 * between the old writer's last event and the new one's first, from the rows' {@code timestamp}
 * (written by the writing JVM; all of them run on this machine, on one clock).
 */
final class JournalAudit {

  /** One journal row, as much as the audit needs. */
  record Row(String persistenceId, long partitionNr, long sequenceNr, UUID timestamp, String writerUuid) {
    long timeMs() {
      return Uuids.unixTimestamp(timestamp);
    }
  }

  record Violation(String persistenceId, String kind, String detail) {
    @Override
    public String toString() {
      return persistenceId + ": " + kind + ": " + detail;
    }
  }

  /** The writer of {@code persistenceId} changed at {@code sequenceNr}. */
  record Handover(String persistenceId, long sequenceNr, String from, String to, long lastOfOldMs, long firstOfNewMs) {
    long gapMs() {
      return firstOfNewMs - lastOfOldMs;
    }
  }

  record Report(int persistenceIds, int events, List<Violation> violations, List<Handover> handovers) {
    /** Handovers whose new writer first wrote at or after {@code sinceMs} (epoch ms). */
    List<Handover> handoversSince(long sinceMs) {
      return handovers.stream().filter(h -> h.firstOfNewMs() >= sinceMs).toList();
    }
  }

  private JournalAudit() {}

  /** Every row of the journal (a full scan; the test's journal is small). */
  static List<Row> read(CqlSession session) {
    List<Row> rows = new ArrayList<>();
    for (com.datastax.oss.driver.api.core.cql.Row r :
        session.execute(
            "SELECT persistence_id, partition_nr, sequence_nr, timestamp, writer_uuid FROM wavelink.messages")) {
      rows.add(
          new Row(
              r.getString("persistence_id"),
              r.getLong("partition_nr"),
              r.getLong("sequence_nr"),
              r.getUuid("timestamp"),
              r.getString("writer_uuid")));
    }
    return rows;
  }

  static Report audit(List<Row> rows) {
    Map<String, List<Row>> byId = new TreeMap<>();
    for (Row r : rows) {
      byId.computeIfAbsent(r.persistenceId(), k -> new ArrayList<>()).add(r);
    }
    List<Violation> violations = new ArrayList<>();
    List<Handover> handovers = new ArrayList<>();
    for (Map.Entry<String, List<Row>> e : byId.entrySet()) {
      String id = e.getKey();
      List<Row> events = new ArrayList<>(e.getValue());
      events.sort(
          Comparator.comparingLong(Row::partitionNr)
              .thenComparingLong(Row::sequenceNr)
              .thenComparingLong(Row::timeMs));
      // sequence numbers: 1, 2, 3 ... each once
      long expected = 1;
      for (int i = 0; i < events.size(); i++) {
        Row r = events.get(i);
        if (i > 0 && r.sequenceNr() == events.get(i - 1).sequenceNr()) {
          Row other = events.get(i - 1);
          violations.add(
              new Violation(
                  id,
                  "duplicate sequence_nr " + r.sequenceNr(),
                  "written by " + other.writerUuid() + " at " + other.timeMs() + " and by " + r.writerUuid()
                      + " at " + r.timeMs() + " (" + (r.timeMs() - other.timeMs()) + " ms apart)"));
          continue;
        }
        if (r.sequenceNr() != expected) {
          violations.add(
              new Violation(id, "gap", "sequence_nr " + r.sequenceNr() + " where " + expected + " was next"));
        }
        expected = r.sequenceNr() + 1;
      }
      // writers: each writes one unbroken run, and a later writer's events are later in time
      Set<String> finished = new HashSet<>();
      String writer = null;
      long lastOfWriter = 0;
      for (Row r : events) {
        if (writer == null) {
          writer = r.writerUuid();
        } else if (!r.writerUuid().equals(writer)) {
          if (finished.contains(r.writerUuid())) {
            violations.add(
                new Violation(
                    id,
                    "interleaved writers",
                    "writer " + r.writerUuid() + " wrote sequence_nr " + r.sequenceNr() + " at " + r.timeMs()
                        + " after writer " + writer + " had taken over"));
          }
          if (r.timeMs() < lastOfWriter) {
            violations.add(
                new Violation(
                    id,
                    "two writers at once",
                    "writer " + r.writerUuid() + " wrote sequence_nr " + r.sequenceNr() + " at " + r.timeMs()
                        + ", before writer " + writer + "'s event at " + lastOfWriter));
          }
          handovers.add(new Handover(id, r.sequenceNr(), writer, r.writerUuid(), lastOfWriter, r.timeMs()));
          finished.add(writer);
          writer = r.writerUuid();
        }
        lastOfWriter = r.timeMs();
      }
    }
    return new Report(byId.size(), rows.size(), violations, handovers);
  }
}
