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

/**
 * Turns a trace (or synthetic spec) and the run's limits into a {@link Workload}: recognises the
 * format, generates the arrivals on the trace's clock, divides time by the speedup, sizes each
 * function's deployment, and drops functions without invocations in the replayed window.
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
    int maxFunctions = options.functions().orElse(Integer.MAX_VALUE);
    double minutes = options.minutes().orElse(Double.POSITIVE_INFINITY);
    String trace = options.trace();
    List<FunctionArrivals> arrivals;
    String source;
    if (Synthetic.matches(trace)) {
      Synthetic.Spec spec = Synthetic.parse(trace);
      arrivals = Synthetic.generate(spec, maxFunctions, minutes, options.seed());
      source = trace;
    } else {
      Path path;
      try {
        path = Path.of(trace);
      } catch (InvalidPathException e) {
        throw new LoadgenException("--trace is neither a path nor a synthetic spec: " + e.getMessage());
      }
      if (Files.isDirectory(path)) {
        arrivals = InVitroTrace.read(path, maxFunctions, minutes, options.arrivals(), options.seed());
        source = "InVitro trace " + path;
      } else if (Files.isRegularFile(path)) {
        String[] header;
        try (Csv csv = Csv.open(path)) {
          header = csv.header();
        }
        if (Azure2021Trace.matches(header)) {
          arrivals = Azure2021Trace.read(path, maxFunctions, minutes);
          source = "Azure 2021 trace " + path;
        } else if (List.of(header).contains("HashFunction") && path.getFileName().toString().equals(InVitroTrace.INVOCATIONS)) {
          Path dir = path.toAbsolutePath().getParent();
          arrivals = InVitroTrace.read(dir, maxFunctions, minutes, options.arrivals(), options.seed());
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
    return build(source, arrivals, options.speedup(), options.maxMemoryMb());
  }

  /** Sizes the functions, applies the speedup, and orders every invocation by time. */
  public static Workload build(String source, List<FunctionArrivals> arrivals, double speedup, int maxMemoryMb) {
    List<Workload.FunctionProfile> functions = new ArrayList<>();
    List<Workload.Invocation> invocations = new ArrayList<>();
    int dropped = 0;
    for (FunctionArrivals f : arrivals) {
      if (f.size() == 0) {
        dropped++;
        continue;
      }
      int index = functions.size();
      int memoryMb = memoryFor(f.maxMemoryMb(), maxMemoryMb);
      long maxRuntime = 1;
      for (int i = 0; i < f.size(); i++) {
        long runtime = Math.max(1, Math.round(f.runtimeMs()[i]));
        int touched = (int) Math.max(0, Math.min(memoryMb - HEADROOM_MB, Math.round(f.memoryMb()[i])));
        maxRuntime = Math.max(maxRuntime, runtime);
        invocations.add(new Workload.Invocation(index, f.atMs()[i] / speedup, runtime, touched));
      }
      functions.add(new Workload.FunctionProfile(f.id(), memoryMb, maxRuntime));
    }
    invocations.sort(Comparator.comparingDouble(Workload.Invocation::atMs).thenComparingInt(Workload.Invocation::function));
    String description = String.format(Locale.ROOT, "%s: %d functions, %d invocations%s%s", source, functions.size(),
        invocations.size(), speedup == 1 ? "" : ", speedup " + speedup,
        dropped == 0 ? "" : " (" + dropped + " functions without invocations left out)");
    return new Workload(description, functions, invocations);
  }

  /** The memoryMb to deploy a function whose invocations touch at most {@code maxTouchedMb}. */
  public static int memoryFor(double maxTouchedMb, int maxMemoryMb) {
    int wanted = (int) Math.ceil((Math.ceil(maxTouchedMb) + HEADROOM_MB) / 16.0) * 16;
    return Math.max(Math.min(32, maxMemoryMb), Math.min(maxMemoryMb, wanted));
  }
}
