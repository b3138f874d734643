package io.wavelink.loadgen.internal;

import io.wavelink.loadgen.LoadgenException;
import io.wavelink.loadgen.LoadgenOptions;
import io.wavelink.loadgen.TraceFormatException;
import io.wavelink.loadgen.Workload;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a trace (or synthetic spec) and the run's limits into a {@link Workload}: recognises the
 * format, chooses the functions (all, the first N, or a sample), generates the arrivals of the
 * window on the trace's clock with the rate scaled, scales the durations, divides time by the
 * speedup, sizes each function's deployment, drops functions without invocations in the window, and
 * records all of it in the workload's {@link Workload.Fitting}.
 *
 * <p>Sizing: the busy function touches the memory an invocation asks for, and its sandbox must be
 * larger, so a function is deployed with {@code memoryMb} = its largest request + {@value
 * #HEADROOM_MB} MiB, rounded up to 16, at least 32, at most {@code --max-memory-mb}; a request is
 * then capped at {@code memoryMb - }{@value #HEADROOM_MB}.
 */
public final class WorkloadLoader {

  /** MiB a function's memoryMb exceeds the most any of its invocations touches. */
  public static final int HEADROOM_MB = 8;

  private WorkloadLoader() {}

  public static Workload load(LoadgenOptions options) {
    Selection selection = options.sample().isPresent()
        ? Selection.sample(options.sample().getAsInt(), options.sampleTrials())
        : options.functions().isPresent() ? Selection.first(options.functions().getAsInt()) : Selection.ALL;
    Window window = new Window(options.fromMinute(), options.minutes().orElse(Double.POSITIVE_INFINITY));
    String trace = options.trace();
    Shaping.Result shaped;
    String source;
    if (Synthetic.matches(trace)) {
      Synthetic.Spec spec = Synthetic.parse(trace);
      if (window.fromMinute() >= spec.minutes()) {
        throw new LoadgenException("--from-minute " + Window.number(window.fromMinute()) + " is past the end of " + trace
            + " (" + Window.number(spec.minutes()) + " minutes)");
      }
      List<FunctionArrivals> generated = Synthetic.generate(spec, selection.limit(), window.endMinute(), options.seed());
      shaped = Shaping.apply(generated, selection, window, options.rateScale(), options.seed());
      source = trace;
    } else {
      Path path;
      try {
        path = Path.of(trace);
      } catch (InvalidPathException e) {
        throw new LoadgenException("--trace is neither a path nor a synthetic spec: " + e.getMessage());
      }
      if (Files.isDirectory(path)) {
        shaped = inVitro(path, selection, window, options);
        source = "InVitro trace " + path;
      } else if (Files.isRegularFile(path)) {
        String[] header;
        try (Csv csv = Csv.open(path)) {
          header = csv.header();
        }
        if (Azure2021Trace.matches(header)) {
          shaped = Azure2021Trace.read(path, selection, window, options.rateScale(), options.seed());
          source = "Azure 2021 trace " + path;
        } else if (List.of(header).contains("HashFunction") && path.getFileName().toString().equals(InVitroTrace.INVOCATIONS)) {
          Path dir = path.toAbsolutePath().getParent();
          shaped = inVitro(dir, selection, window, options);
          source = "InVitro trace " + dir;
        } else {
          throw new TraceFormatException(path, 1,
              "unknown trace format: expected an Azure 2021 header (app,func,end_timestamp,duration), "
                  + "or give the directory of an InVitro trace (invocations.csv, durations.csv, memory.csv)");
        }
      } else {
        throw new LoadgenException("trace not found: " + trace
            + " (give an InVitro trace directory, an Azure 2021 CSV file, or synthetic:azure?... / synthetic:burst?...)");
      }
    }
    String selected = switch (selection.kind()) {
      case ALL -> "all functions";
      case FIRST -> "the first " + selection.count() + " functions";
      case SAMPLE -> "a sample of " + selection.count() + " functions";
    };
    Map<String, Object> sample = shaped.sample() == null ? null : shaped.sample().describe(options.seed());
    return build(source, shaped.functions(), options.speedup(), options.durationScale(), options.maxMemoryMb(),
        new Workload.Fitting(window.describe(), selected, sample, options.rateScale(), options.durationScale(), options.speedup(),
            options.maxMemoryMb(), 0, 0));
  }

  private static Shaping.Result inVitro(Path dir, Selection selection, Window window, LoadgenOptions options) {
    InVitroTrace.Result r = InVitroTrace.read(dir, selection, window, options.arrivals(), options.rateScale(), options.seed());
    return new Shaping.Result(r.functions(), r.sample());
  }

  /** Sizes the functions, applies the speedup, and orders every invocation by time. */
  public static Workload build(String source, List<FunctionArrivals> arrivals, double speedup, int maxMemoryMb) {
    return build(source, arrivals, speedup, 1, maxMemoryMb,
        new Workload.Fitting("the whole trace", "all functions", null, 1, 1, speedup, maxMemoryMb, 0, 0));
  }

  /**
   * Sizes the functions, scales the durations, applies the speedup, and orders every invocation by
   * time; completes {@code fitting} with what the memory cap changed.
   */
  public static Workload build(String source, List<FunctionArrivals> arrivals, double speedup, double durationScale,
      int maxMemoryMb, Workload.Fitting fitting) {
    List<Workload.FunctionProfile> functions = new ArrayList<>();
    List<Workload.Invocation> invocations = new ArrayList<>();
    int dropped = 0;
    int functionsCapped = 0;
    long invocationsCapped = 0;
    for (FunctionArrivals f : arrivals) {
      if (f.size() == 0) {
        dropped++;
        continue;
      }
      int index = functions.size();
      int memoryMb = memoryFor(f.maxMemoryMb(), maxMemoryMb);
      if (memoryMb < memoryFor(f.maxMemoryMb(), Integer.MAX_VALUE)) {
        functionsCapped++;
      }
      long maxRuntime = 1;
      for (int i = 0; i < f.size(); i++) {
        long runtime = Math.max(1, Math.round(f.runtimeMs()[i] * durationScale));
        long wanted = Math.max(0, Math.round(f.memoryMb()[i]));
        int touched = (int) Math.min(memoryMb - HEADROOM_MB, wanted);
        if (touched < wanted) {
          invocationsCapped++;
        }
        maxRuntime = Math.max(maxRuntime, runtime);
        invocations.add(new Workload.Invocation(index, f.atMs()[i] / speedup, runtime, touched));
      }
      functions.add(new Workload.FunctionProfile(f.id(), memoryMb, maxRuntime));
    }
    invocations.sort(Comparator.comparingDouble(Workload.Invocation::atMs).thenComparingInt(Workload.Invocation::function));
    String description = String.format(Locale.ROOT, "%s: %d functions, %d invocations%s%s", source, functions.size(),
        invocations.size(), speedup == 1 ? "" : ", speedup " + speedup,
        dropped == 0 ? "" : " (" + dropped + " functions without invocations left out)");
    Workload.Fitting fitted = new Workload.Fitting(fitting.window(), fitting.selection(), fitting.sample(), fitting.rateScale(),
        durationScale, speedup, maxMemoryMb, functionsCapped, invocationsCapped);
    return new Workload(description, functions, invocations, fitted);
  }

  /** The memoryMb to deploy a function whose invocations touch at most {@code maxTouchedMb}. */
  public static int memoryFor(double maxTouchedMb, int maxMemoryMb) {
    int wanted = (int) Math.ceil((Math.ceil(maxTouchedMb) + HEADROOM_MB) / 16.0) * 16;
    return Math.max(Math.min(32, maxMemoryMb), Math.min(maxMemoryMb, wanted));
  }
}
