package io.wavelink.loadgen.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trace in the Azure Functions 2021 per-invocation format: {@code app,func,end_timestamp,duration}
 * (seconds since the trace's start; the invocation began at {@code end_timestamp - duration}). A
 * function is the pair app/func; functions are numbered in order of first appearance. The trace's
 * clock starts at 0 (or at its earliest start, if one is earlier). The trace records no memory:
 * every invocation touches {@value #MEMORY_MB} MiB.
 */
public final class Azure2021Trace {

  /** MiB each invocation touches (the trace has no memory column). */
  public static final int MEMORY_MB = 32;

  static final List<String> HEADER = List.of("app", "func", "end_timestamp", "duration");

  private Azure2021Trace() {}

  /** Whether {@code header} is this format's. */
  public static boolean matches(String[] header) {
    return List.of(header).containsAll(HEADER);
  }

  /**
   * The functions {@code selection} chooses (by order of first appearance), their invocations that
   * begin in {@code window}, with the rate scaled.
   */
  public static Shaping.Result read(Path file, Selection selection, Window window, double rateScale, long seed) {
    record Call(double atMs, double runtimeMs) {}
    Map<String, List<Call>> byFunction = new LinkedHashMap<>();
    double earliest = 0;
    int limit = selection.limit();
    try (Csv csv = Csv.open(file)) {
      int app = csv.requireColumn("app");
      int func = csv.requireColumn("func");
      int end = csv.requireColumn("end_timestamp");
      int duration = csv.requireColumn("duration");
      int width = csv.header().length;
      for (Csv.Row row = csv.next(); row != null; row = csv.next()) {
        row.expectColumns(width);
        String id = row.text(app) + "/" + row.text(func);
        if (row.text(app).isEmpty() || row.text(func).isEmpty()) {
          throw row.error("app and func must not be empty");
        }
        double endS = row.number(end, "end_timestamp");
        double durationS = row.nonNegative(duration, "duration");
        List<Call> calls = byFunction.get(id);
        if (calls == null) {
          if (byFunction.size() >= limit) {
            continue;
          }
          calls = new ArrayList<>();
          byFunction.put(id, calls);
        }
        double startMs = (endS - durationS) * 1000;
        earliest = Math.min(earliest, startMs);
        calls.add(new Call(startMs, durationS * 1000));
      }
    }
    List<FunctionArrivals> trace = new ArrayList<>();
    for (Map.Entry<String, List<Call>> e : byFunction.entrySet()) {
      List<Call> calls = e.getValue();
      double[] at = new double[calls.size()];
      double[] rt = new double[calls.size()];
      double[] mb = new double[calls.size()];
      for (int i = 0; i < at.length; i++) {
        at[i] = calls.get(i).atMs() - earliest;
        rt[i] = calls.get(i).runtimeMs();
        mb[i] = MEMORY_MB;
      }
      trace.add(new FunctionArrivals(e.getKey(), at, rt, mb, MEMORY_MB));
    }
    return Shaping.apply(trace, selection, window, rateScale, seed);
  }
}
