package io.wavelink.cluster.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.uuid.Uuids;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The partition test's journal check finds what two writers leave behind, and nothing else. */
class JournalAuditTest {

  private static JournalAudit.Row row(String id, long seq, long timeMs, String writer) {
    return new JournalAudit.Row(id, 0, seq, Uuids.startOf(timeMs), writer);
  }

  @Test
  void oneWriterAfterAnotherIsAHandoverNotAViolation() {
    List<JournalAudit.Row> rows =
        List.of(
            row("Function|f", 1, 1_000, "a"),
            row("Function|f", 2, 1_100, "a"),
            row("Function|f", 3, 9_000, "b"),
            row("Function|f", 4, 9_050, "b"),
            row("Node|n", 1, 500, "c"));
    JournalAudit.Report report = JournalAudit.audit(rows);
    assertEquals(List.of(), report.violations());
    assertEquals(2, report.persistenceIds());
    assertEquals(5, report.events());
    assertEquals(1, report.handovers().size());
    JournalAudit.Handover h = report.handovers().get(0);
    assertEquals("Function|f", h.persistenceId());
    assertEquals(3, h.sequenceNr());
    assertEquals(7_900, h.gapMs());
    assertEquals(1, report.handoversSince(9_000).size());
    assertEquals(0, report.handoversSince(9_001).size());
  }

  @Test
  void aSequenceNumberWrittenTwiceIsFound() {
    // b recovered at 2 and wrote 3 while a, still running, wrote 3 too
    List<JournalAudit.Row> rows =
        new ArrayList<>(
            List.of(
                row("Function|f", 1, 1_000, "a"),
                row("Function|f", 2, 1_100, "a"),
                row("Function|f", 3, 5_000, "b"),
                row("Function|f", 3, 5_200, "a")));
    JournalAudit.Report report = JournalAudit.audit(rows);
    assertTrue(
        report.violations().stream().anyMatch(v -> v.kind().equals("duplicate sequence_nr 3")),
        report.violations().toString());
  }

  @Test
  void anOldWriterWritingAfterTheNewOneIsFound() {
    List<JournalAudit.Row> rows =
        List.of(
            row("Node|n", 1, 1_000, "a"),
            row("Node|n", 2, 5_000, "b"),
            row("Node|n", 3, 5_100, "a"),
            row("Node|n", 4, 5_200, "b"));
    JournalAudit.Report report = JournalAudit.audit(rows);
    assertTrue(
        report.violations().stream().anyMatch(v -> v.kind().equals("interleaved writers")),
        report.violations().toString());
  }

  @Test
  void aNewWriterWhoseEventsPrecedeTheOldOnesIsFound() {
    List<JournalAudit.Row> rows =
        List.of(row("Function|g", 1, 1_000, "a"), row("Function|g", 2, 3_000, "a"), row("Function|g", 3, 2_000, "b"));
    JournalAudit.Report report = JournalAudit.audit(rows);
    assertTrue(
        report.violations().stream().anyMatch(v -> v.kind().equals("two writers at once")),
        report.violations().toString());
  }

  @Test
  void gapsAndAMissingStartAreFound() {
    List<JournalAudit.Row> rows = List.of(row("Function|h", 2, 1_000, "a"), row("Function|h", 4, 1_100, "a"));
    JournalAudit.Report report = JournalAudit.audit(rows);
    assertEquals(2, report.violations().size(), report.violations().toString());
    assertTrue(report.violations().stream().allMatch(v -> v.kind().equals("gap")));
  }
}
