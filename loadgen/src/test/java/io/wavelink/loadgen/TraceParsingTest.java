package io.wavelink.loadgen;

import static io.wavelink.loadgen.TestTraces.options;
import static io.wavelink.loadgen.TestTraces.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each trace format, read from the real example excerpts and from small files written here. */
class TraceParsingTest {

  @TempDir Path dir;

  static final String DURATIONS_HEADER =
      "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,"
          + "percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100";
  static final String MEMORY_HEADER =
      "HashOwner,HashApp,HashFunction,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,"
          + "AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,"
          + "AverageAllocatedMb_pct99,AverageAllocatedMb_pct100";

  /** A two-function InVitro trace of three minutes. */
  Path smallInVitro(String invocationRows, String durationRows, String memoryRows) throws IOException {
    Path t = Files.createDirectories(dir.resolve("trace"));
    Files.writeString(t.resolve("invocations.csv"), "HashOwner,HashApp,HashFunction,Trigger,1,2,3\n" + invocationRows);
    Files.writeString(t.resolve("durations.csv"), DURATIONS_HEADER + "\n" + durationRows);
    Files.writeString(t.resolve("memory.csv"), MEMORY_HEADER + "\n" + memoryRows);
    return t;
  }

  Path validSmallInVitro() throws IOException {
    return smallInVitro(
        "o,a,f1,http,2,0,3\no,a,f2,timer,1,1,1\n",
        "o,a,f1,50,6,10,90,10,10,20,50,60,80,90\no,a,f2,5,3,4,6,4,4,5,5,5,6,6\n",
        "o,a,f1,9,100,90,95,98,100,102,105,110,120\no,a,f2,9,10,10,10,10,10,10,10,10,10\n");
  }

  static int[] perMinute(Workload w, int function, int minutes) {
    int[] counts = new int[minutes];
    for (Workload.Invocation i : w.invocations()) {
      if (i.function() == function) {
        counts[(int) (i.atMs() / 60_000)]++;
      }
    }
    return counts;
  }

  @Test
  void smallInVitroTraceKeepsEachMinutesCountAndDrawsBetweenPercentiles() throws IOException {
    Workload w = Workload.load(options(validSmallInVitro().toString()));
    assertEquals(2, w.functions().size());
    assertEquals(8, w.invocations().size());
    assertEquals("o/a/f1", w.functions().get(0).traceId());
    assertEquals(List.of(2, 0, 3), List.of(box(perMinute(w, 0, 3))));
    assertEquals(List.of(1, 1, 1), List.of(box(perMinute(w, 1, 3))));
    for (Workload.Invocation i : w.invocations()) {
      if (i.function() == 0) {
        assertTrue(i.runtimeMs() >= 10 && i.runtimeMs() <= 90, i.toString());
        assertTrue(i.memoryMb() >= 90 && i.memoryMb() <= 120, i.toString());
      } else {
        assertTrue(i.runtimeMs() >= 4 && i.runtimeMs() <= 6, i.toString());
        assertEquals(10, i.memoryMb());
      }
    }
    // deployed with room above the largest request (120 + 8, rounded up to 16), the smallest at 32
    assertEquals(128, w.functions().get(0).memoryMb());
    assertEquals(32, w.functions().get(1).memoryMb());
    for (int k = 1; k < w.invocations().size(); k++) {
      assertTrue(w.invocations().get(k - 1).atMs() <= w.invocations().get(k).atMs(), "ordered by time");
    }
  }

  @Test
  void theInvocationsFileItselfMayBeGiven() throws IOException {
    Path t = validSmallInVitro();
    assertEquals(Workload.load(options(t.toString())).invocations(),
        Workload.load(options(t.resolve("invocations.csv").toString())).invocations());
  }

  @Test
  void realInVitroExampleExcerpt() {
    Workload w = Workload.load(options(resource("invitro").toString(), "--minutes", "10"));
    assertEquals(4, w.functions().size());
    // 5 a minute each; functions 2-4 start at minute 6
    assertEquals(5 * 10 + 3 * 5 * 5, w.invocations().size());
    assertEquals(List.of(5, 5, 5, 5, 5, 5, 5, 5, 5, 5), List.of(box(perMinute(w, 0, 10))));
    assertEquals(List.of(0, 0, 0, 0, 0, 5, 5, 5, 5, 5), List.of(box(perMinute(w, 1, 10))));
    long[] nominal = {100, 500, 250, 125};
    for (Workload.Invocation i : w.invocations()) {
      assertTrue(Math.abs(i.runtimeMs() - nominal[i.function()]) <= 1, i.toString());
      assertTrue(i.memoryMb() < w.functions().get(i.function()).memoryMb(), i.toString());
    }
    // the third function's memory reaches 382 MiB at its 100th percentile: 382 + 8 -> 400
    assertEquals(400, w.functions().get(2).memoryMb());
    assertEquals(256, Workload.load(options(resource("invitro").toString(), "--max-memory-mb", "256")).functions().get(2).memoryMb());
  }

  @Test
  void realAzure2021Excerpt() throws IOException {
    Path file = resource("azure2021.csv");
    // expected, computed straight from the file
    List<String> lines = Files.readAllLines(file);
    Map<String, Integer> perFunction = new HashMap<>();
    List<String> order = new ArrayList<>();
    double earliest = 0;
    for (String line : lines.subList(1, lines.size())) {
      String[] c = line.split(",");
      String id = c[0] + "/" + c[1];
      if (perFunction.merge(id, 1, Integer::sum) == 1) {
        order.add(id);
      }
      earliest = Math.min(earliest, Double.parseDouble(c[2]) - Double.parseDouble(c[3]));
    }
    Workload w = Workload.load(options(file.toString()));
    assertEquals(lines.size() - 1, w.invocations().size());
    assertEquals(order.size(), w.functions().size());
    assertEquals(order.get(0), w.functions().get(0).traceId());
    String[] first = lines.get(1).split(",");
    Workload.Invocation i0 = w.invocations().stream().filter(i -> i.function() == 0).findFirst().orElseThrow();
    assertEquals((Double.parseDouble(first[2]) - Double.parseDouble(first[3]) - earliest) * 1000, i0.atMs(), 1e-6);
    assertEquals(Math.round(Double.parseDouble(first[3]) * 1000), i0.runtimeMs());

    Workload two = Workload.load(options(file.toString(), "--functions", "2"));
    assertEquals(2, two.functions().size());
    assertEquals(perFunction.get(order.get(0)) + perFunction.get(order.get(1)), two.invocations().size());
  }

  @Test
  void smallAzure2021FileWithItsOwnColumnOrder() throws IOException {
    Path f = dir.resolve("calls.csv");
    Files.writeString(f, "func,app,duration,end_timestamp\nf,a,0.5,1.5\nf,a,0.25,61.0\ng,a,2,3\n");
    Workload w = Workload.load(options(f.toString()));
    assertEquals(2, w.functions().size());
    assertEquals(List.of(1000.0, 1000.0, 60_750.0), w.invocations().stream().map(Workload.Invocation::atMs).toList());
    assertEquals(List.of(500L, 2000L, 250L), w.invocations().stream().map(Workload.Invocation::runtimeMs).toList());
    assertEquals(2, Workload.load(options(f.toString(), "--minutes", "1")).invocations().size());
    assertEquals(1.0 * 1000 / 4, Workload.load(options(f.toString(), "--speedup", "4")).invocations().get(0).atMs());
  }

  // -------------------------------------------------------------- Azure 2019 layouts as published

  static final String APP_MEMORY_HEADER =
      "HashApp,HashOwner,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,"
          + "AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,"
          + "AverageAllocatedMb_pct99,AverageAllocatedMb_pct100";

  /**
   * The layout of InVitro's sampled Azure 2019 traces: HashFunction first in invocations.csv and
   * durations.csv, memory per application (app a has two functions, app b one).
   */
  Path perApplicationTrace(String memoryHeader, String memoryRows) throws IOException {
    Path t = Files.createDirectories(dir.resolve("azure2019"));
    Files.writeString(t.resolve("invocations.csv"), "HashFunction,HashApp,HashOwner,Trigger,1,2,3\n"
        + "f1,a,o,http,2,0,3\nf2,a,o,queue,1,1,1\nf3,b,o,timer,0,4,0\n");
    Files.writeString(t.resolve("durations.csv"),
        "HashFunction,HashApp,HashOwner,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,"
            + "percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100\n"
            + "f1,a,o,50,6,10,90,10,10,20,50,60,80,90\nf2,a,o,5,3,4,6,4,4,5,5,5,6,6\nf3,b,o,1000,4,900,1100,900,900,950,1000,1050,1100,1100\n");
    Files.writeString(t.resolve("memory.csv"), memoryHeader + "\n" + memoryRows);
    return t;
  }

  @Test
  void azure2019MemoryPerApplicationIsSharedByTheApplicationsFunctions() throws IOException {
    // app a: 200..400 MiB over its two functions -> 100..200 each; app b: 64..96 for its one
    Path t = perApplicationTrace(APP_MEMORY_HEADER, "a,o,10,300,200,250,280,300,320,350,380,400\nb,o,10,80,64,70,75,80,85,90,94,96\n");
    Workload w = Workload.load(options(t.toString()));
    assertEquals(List.of("o/a/f1", "o/a/f2", "o/b/f3"), w.functions().stream().map(Workload.FunctionProfile::traceId).toList());
    assertEquals(5 + 3 + 4, w.invocations().size());
    assertEquals(List.of(2, 0, 3), List.of(box(perMinute(w, 0, 3))));
    assertEquals(List.of(0, 4, 0), List.of(box(perMinute(w, 2, 3))));
    for (Workload.Invocation i : w.invocations()) {
      int mb = i.memoryMb();
      if (i.function() < 2) {
        assertTrue(mb >= 100 && mb <= 200, "half of app a's memory: " + i);
      } else {
        assertTrue(mb >= 64 && mb <= 96, "all of app b's memory: " + i);
        assertTrue(i.runtimeMs() >= 900 && i.runtimeMs() <= 1100, i.toString());
      }
    }
    // sized for the largest share: 200 + 8 -> 208; 96 + 8 -> 112
    assertEquals(208, w.functions().get(0).memoryMb());
    assertEquals(112, w.functions().get(2).memoryMb());
  }

  @Test
  void perApplicationMemoryInAnyColumnOrderAndWithoutOwner() throws IOException {
    String header = "AverageAllocatedMb_pct100,AverageAllocatedMb_pct99,AverageAllocatedMb_pct95,AverageAllocatedMb_pct75,"
        + "AverageAllocatedMb_pct50,AverageAllocatedMb_pct25,AverageAllocatedMb_pct5,AverageAllocatedMb_pct1,HashApp,Extra";
    Path t = perApplicationTrace(header, "400,380,350,320,300,280,250,200,a,x\n96,94,90,85,80,75,70,64,b,y\n");
    Workload byName = Workload.load(options(t.toString()));
    Path reference = perApplicationTrace(APP_MEMORY_HEADER, "a,o,10,300,200,250,280,300,320,350,380,400\nb,o,10,80,64,70,75,80,85,90,94,96\n");
    assertEquals(Workload.load(options(reference.toString())).invocations(), byName.invocations());
  }

  @Test
  void invitroPerFunctionMemoryAndDurationsInAnyColumnOrder() throws IOException {
    Path t = Files.createDirectories(dir.resolve("shuffled"));
    Files.writeString(t.resolve("invocations.csv"), "3,1,HashApp,2,HashFunction,Note,HashOwner\n3,2,a,0,f1,x,o\n1,1,a,1,f2,y,o\n");
    Files.writeString(t.resolve("durations.csv"), "percentile_Average_100,HashFunction,percentile_Average_0,percentile_Average_1,"
        + "percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,HashApp,HashOwner\n"
        + "90,f1,10,10,20,50,60,80,a,o\n6,f2,4,4,5,5,5,6,a,o\n");
    Files.writeString(t.resolve("memory.csv"), "HashOwner,HashFunction,HashApp,AverageAllocatedMb_pct100,AverageAllocatedMb_pct99,"
        + "AverageAllocatedMb_pct95,AverageAllocatedMb_pct75,AverageAllocatedMb_pct50,AverageAllocatedMb_pct25,"
        + "AverageAllocatedMb_pct5,AverageAllocatedMb_pct1\n"
        + "o,f1,a,120,110,105,102,100,98,95,90\no,f2,a,10,10,10,10,10,10,10,10\n");
    // the same trace as validSmallInVitro, its columns shuffled (minutes 1, 2, 3 by name)
    assertEquals(Workload.load(options(validSmallInVitro().toString())).invocations(), Workload.load(options(t.toString())).invocations());
  }

  @Test
  void theMinuteColumnsOfASliceStartWhereTheSliceDoes() throws IOException {
    Path t = smallInVitro("o,a,f1,http,2,0,3\no,a,f2,timer,1,1,1\n",
        "o,a,f1,50,6,10,90,10,10,20,50,60,80,90\no,a,f2,5,3,4,6,4,4,5,5,5,6,6\n",
        "o,a,f1,9,100,90,95,98,100,102,105,110,120\no,a,f2,9,10,10,10,10,10,10,10,10,10\n");
    String sliced = Files.readString(t.resolve("invocations.csv")).replace("Trigger,1,2,3", "Trigger,601,602,603");
    Files.writeString(t.resolve("invocations.csv"), sliced);
    Workload w = Workload.load(options(t.toString()));
    assertEquals(List.of(2, 0, 3), List.of(box(perMinute(w, 0, 3))), "column 601 is the trace's minute 0");
  }

  @Test
  void theIssuesPerApplicationHeaderNoLongerStopsTheRun() throws IOException {
    // the exact header that used to fail with "missing column 'HashFunction'"
    Path t = perApplicationTrace(APP_MEMORY_HEADER, "a,o,10,300,200,250,280,300,320,350,380,400\nb,o,10,80,64,70,75,80,85,90,94,96\n");
    Workload w = Workload.load(options(t.toString(), "--minutes", "1"));
    assertEquals(List.of("o/a/f1", "o/a/f2"), w.functions().stream().map(Workload.FunctionProfile::traceId).toList(),
        "f3 has no invocation in minute 1 and is left out");
  }

  // ------------------------------------------------------------------------------- malformed

  static String messageOf(Runnable r) {
    return assertThrows(LoadgenException.class, r::run).getMessage();
  }

  @Test
  void aShortInvocationsRowNamesFileAndLine() throws IOException {
    Path t = smallInVitro("o,a,f1,http,2,0,3\no,a,f2,timer,1,1\n", "o,a,f1,50,6,10,90,10,10,20,50,60,80,90\n", "o,a,f1,9,100,90,95,98,100,102,105,110,120\n");
    TraceFormatException e = assertThrows(TraceFormatException.class, () -> Workload.load(options(t.toString())));
    assertEquals(3, e.line());
    assertTrue(e.getMessage().contains("invocations.csv, line 3"), e.getMessage());
    assertTrue(e.getMessage().contains("expected 7 columns"), e.getMessage());
  }

  @Test
  void aBadCountNamesTheMinute() throws IOException {
    Path t = smallInVitro("o,a,f1,http,2,x,3\n", "o,a,f1,50,6,10,90,10,10,20,50,60,80,90\n", "o,a,f1,9,100,90,95,98,100,102,105,110,120\n");
    String m = messageOf(() -> Workload.load(options(t.toString())));
    assertTrue(m.contains("invocations.csv, line 2") && m.contains("minute 2") && m.contains("'x'"), m);
    Path n = smallInVitro("o,a,f1,http,2,-1,3\n", "o,a,f1,50,6,10,90,10,10,20,50,60,80,90\n", "o,a,f1,9,100,90,95,98,100,102,105,110,120\n");
    assertTrue(messageOf(() -> Workload.load(options(n.toString()))).contains("must not be negative"));
  }

  @Test
  void aFunctionWithoutDurationsIsReportedAtItsInvocationsLine() throws IOException {
    Path t = smallInVitro("o,a,f1,http,2,0,3\no,a,f2,timer,1,1,1\n", "o,a,f1,50,6,10,90,10,10,20,50,60,80,90\n",
        "o,a,f1,9,100,90,95,98,100,102,105,110,120\no,a,f2,9,10,10,10,10,10,10,10,10,10\n");
    String m = messageOf(() -> Workload.load(options(t.toString())));
    assertTrue(m.contains("invocations.csv, line 3") && m.contains("o/a/f2 has no row in durations.csv"), m);
  }

  @Test
  void aBadPercentileNamesTheDurationsLine() throws IOException {
    Path t = smallInVitro("o,a,f1,http,2,0,3\n", "o,a,f1,50,6,10,90,10,10,20,fifty,60,80,90\n", "o,a,f1,9,100,90,95,98,100,102,105,110,120\n");
    String m = messageOf(() -> Workload.load(options(t.toString())));
    assertTrue(m.contains("durations.csv, line 2") && m.contains("percentile_Average_50") && m.contains("'fifty'"), m);
  }

  @Test
  void aMissingColumnNamesTheHeader() throws IOException {
    Path t = smallInVitro("o,a,f1,http,2,0,3\n", "o,a,f1,50,6,10,90,10,10,20,50,60,80,90\n", "o,a,f1,9,100,90,95,98,100,102,105,110,120\n");
    Files.writeString(t.resolve("memory.csv"), "HashOwner,HashApp,HashFunction,SampleCount\no,a,f1,1\n");
    String m = messageOf(() -> Workload.load(options(t.toString())));
    assertTrue(m.contains("memory.csv, line 1") && m.contains("missing column 'AverageAllocatedMb_pct1'"), m);
  }

  @Test
  void anApplicationWithoutMemoryIsReportedAtItsFunctionsInvocationsLine() throws IOException {
    Path t = perApplicationTrace(APP_MEMORY_HEADER, "a,o,10,300,200,250,280,300,320,350,380,400\n");
    String m = messageOf(() -> Workload.load(options(t.toString())));
    assertTrue(m.contains("invocations.csv, line 4") && m.contains("application o/b of function o/b/f3 has no row in memory.csv"), m);
  }

  @Test
  void aBadPerApplicationMemoryRowNamesItsLine() throws IOException {
    Path t = perApplicationTrace(APP_MEMORY_HEADER, "a,o,10,300,200,250,280,300,320,350,380,400\nb,o,10,80,64,70,75,lots,85,90,94,96\n");
    String m = messageOf(() -> Workload.load(options(t.toString())));
    assertTrue(m.contains("memory.csv, line 3") && m.contains("AverageAllocatedMb_pct50") && m.contains("'lots'"), m);
  }

  @Test
  void minuteColumnsMustBeConsecutive() throws IOException {
    Path t = validSmallInVitro();
    Files.writeString(t.resolve("invocations.csv"), "HashOwner,HashApp,HashFunction,Trigger,1,2,4\no,a,f1,http,2,0,3\n");
    TraceFormatException e = assertThrows(TraceFormatException.class, () -> Workload.load(options(t.toString())));
    assertEquals(1, e.line());
    assertTrue(e.getMessage().contains("invocations.csv, line 1") && e.getMessage().contains("after '2' comes '4'"), e.getMessage());
    Files.writeString(t.resolve("invocations.csv"), "HashOwner,HashApp,HashFunction,Trigger\no,a,f1,http\n");
    assertTrue(messageOf(() -> Workload.load(options(t.toString()))).contains("no minute columns"));
  }

  @Test
  void aLongHeaderIsShortenedInMessages() throws IOException {
    Path t = validSmallInVitro();
    StringBuilder header = new StringBuilder("HashOwner,HashApp,Trigger");
    for (int m = 1; m <= 1440; m++) {
      header.append(',').append(m);
    }
    Files.writeString(t.resolve("invocations.csv"), header + "\n");
    String m = messageOf(() -> Workload.load(options(t.toString())));
    assertTrue(m.contains("missing column 'HashFunction'") && m.contains("... (1443 columns)]") && m.length() < 300, m);
  }

  @Test
  void missingFilesAreListed() throws IOException {
    Path t = Files.createDirectories(dir.resolve("half"));
    Files.writeString(t.resolve("invocations.csv"), "HashOwner,HashApp,HashFunction,Trigger,1\n");
    String m = messageOf(() -> Workload.load(options(t.toString())));
    assertTrue(m.contains("durations.csv, memory.csv") && m.contains(t.toString()), m);
    assertTrue(messageOf(() -> Workload.load(options(dir.resolve("nothing").toString()))).contains("trace not found"));
  }

  @Test
  void malformedAzure2021RowsNameTheLine() throws IOException {
    Path f = dir.resolve("calls.csv");
    Files.writeString(f, "app,func,end_timestamp,duration\na,f,1.5,0.5\n\na,f,2.5,-1\n");
    TraceFormatException e = assertThrows(TraceFormatException.class, () -> Workload.load(options(f.toString())));
    assertEquals(4, e.line(), "blank lines count");
    assertTrue(e.getMessage().contains("calls.csv, line 4") && e.getMessage().contains("duration must not be negative"), e.getMessage());
  }

  @Test
  void unknownAndEmptyFilesAreExplained() throws IOException {
    Path f = dir.resolve("other.csv");
    Files.writeString(f, "a,b,c\n1,2,3\n");
    String m = messageOf(() -> Workload.load(options(f.toString())));
    assertTrue(m.contains("other.csv, line 1") && m.contains("unknown trace format"), m);
    Path empty = dir.resolve("empty.csv");
    Files.writeString(empty, "");
    assertTrue(messageOf(() -> Workload.load(options(empty.toString()))).contains("empty.csv, line 1: the file is empty"));
  }

  @Test
  void badSyntheticSpecsSayWhatIsAllowed() {
    assertTrue(messageOf(() -> Workload.load(options("synthetic:tornado"))).contains("unknown synthetic workload 'tornado'"));
    String m = messageOf(() -> Workload.load(options("synthetic:azure?functions=5&speed=3")));
    assertTrue(m.contains("unknown parameter 'speed'") && m.contains("rate"), m);
    assertTrue(messageOf(() -> Workload.load(options("synthetic:burst?peak=lots"))).contains("peak must be a number"));
    assertTrue(messageOf(() -> Workload.load(options("synthetic:burst?shape=wave"))).contains("spike, square or ramp"));
    assertTrue(messageOf(() -> Workload.load(options("synthetic:azure?functions=2.5"))).contains("whole number"));
  }

  private static Integer[] box(int[] a) {
    Integer[] b = new Integer[a.length];
    for (int i = 0; i < a.length; i++) {
      b[i] = a[i];
    }
    return b;
  }
}
