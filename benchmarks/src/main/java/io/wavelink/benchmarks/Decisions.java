package io.wavelink.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the decision-cost JMH benchmarks ({@link AutoscalerBenchmark}, {@link PlacementBenchmark},
 * {@link AuthenticatorBenchmark})
 * and writes JMH's JSON plus a summary with the median over forks of each benchmark's ns/op.
 *
 * <pre>
 * java -cp benchmarks/target/wavelink-benchmarks-*.jar:benchmarks/target/lib/* io.wavelink.benchmarks.Decisions \
 *     [--forks 3] [--warmup 3] [--iterations 5] [--seconds 1] [--include REGEX] [--out DIR]
 * </pre>
 *
 * Each fork is a fresh JVM (the repeated run); within it JMH warms up, then measures iterations of
 * {@code --seconds}.
 */
public final class Decisions {

  private Decisions() {}

  public static void main(String[] argv) throws Exception {
    Args args = new Args(argv, List.of("forks", "warmup", "iterations", "seconds", "include", "out"));
    Path out = Path.of(args.string("out", "benchmarks/results/decisions"));
    Files.createDirectories(out);
    int seconds = args.integer("seconds", 1);
    Options options =
        new OptionsBuilder()
            .include(args.string("include", "io\\.wavelink\\.benchmarks\\.(Autoscaler|Placement|Authenticator)Benchmark\\..*"))
            .forks(args.integer("forks", 3))
            .warmupIterations(args.integer("warmup", 3))
            .warmupTime(TimeValue.seconds(seconds))
            .measurementIterations(args.integer("iterations", 5))
            .measurementTime(TimeValue.seconds(seconds))
            .jvmArgsAppend("-Xms512m", "-Xmx512m")
            .resultFormat(ResultFormatType.JSON)
            .result(out.resolve("jmh.json").toString())
            .build();
    Collection<RunResult> results = new Runner(options).run();

    List<Map<String, Object>> summary = new ArrayList<>();
    StringBuilder table = new StringBuilder();
    table.append(String.format("%-55s %12s  %s%n", "benchmark", "median ns/op", "per fork"));
    for (RunResult r : results) {
      String name =
          r.getParams().getBenchmark().replace("io.wavelink.benchmarks.", "")
              + params(r);
      List<Double> forks = new ArrayList<>();
      for (BenchmarkResult fork : r.getBenchmarkResults()) {
        forks.add(fork.getPrimaryResult().getScore());
      }
      double median = Stats.median(forks);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("benchmark", name);
      row.put("unit", r.getPrimaryResult().getScoreUnit());
      row.put("medianOverForks", median);
      row.put("forks", forks);
      row.put("mean", r.getPrimaryResult().getScore());
      row.put("error99", r.getPrimaryResult().getScoreError());
      summary.add(row);
      table.append(String.format("%-55s %12.1f  %s%n", name, median, Stats.format(forks, "%.1f")));
    }
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    json.writeValue(out.resolve("summary.json").toFile(), Map.of("decisions", summary));
    Files.writeString(out.resolve("summary.txt"), table);
    System.out.println();
    System.out.print(table);
  }

  private static String params(RunResult r) {
    StringBuilder b = new StringBuilder();
    for (String key : r.getParams().getParamsKeys()) {
      b.append(b.length() == 0 ? " [" : ", ").append(key).append('=').append(r.getParams().getParam(key));
    }
    return b.length() == 0 ? "" : b.append(']').toString();
  }
}
