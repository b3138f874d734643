package io.wavelink.loadgen;

import io.wavelink.loadgen.internal.CompareTable;
import io.wavelink.loadgen.internal.Driver;
import io.wavelink.loadgen.internal.GatewayClient;
import io.wavelink.loadgen.internal.HtmlReport;
import io.wavelink.loadgen.internal.OutputFiles;
import java.io.PrintStream;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The load generator: {@link #run} replays a workload in one control-plane mode, {@link #compare}
 * in each mode (sync, async, dual) one after the other. Both read the workload first (so a
 * malformed trace fails before anything is deployed), check that every gateway is ready, and write
 * their files under {@link LoadgenOptions#out()}.
 */
public final class LoadGenerator {

  private static final Duration READY_PATIENCE = Duration.ofSeconds(10);

  private LoadGenerator() {}

  /**
   * Replays the workload in {@code options.mode()}; writes {@code invocations.csv}, {@code
   * instances.csv}, {@code summary.json} and {@code report.html} into {@code options.out()}.
   *
   * @return the summary (as written to summary.json)
   * @throws LoadgenException for a malformed trace, an unreachable gateway, a rejected deploy
   */
  public static Map<String, Object> run(LoadgenOptions options, PrintStream out, PrintStream err) {
    Workload workload = prepare(options, out);
    Driver driver = new Driver(new GatewayClient(), out, err, drawProgress(options));
    return driver.run(options, workload, options.mode(), options.out(), runId()).summary();
  }

  /**
   * Replays the workload once per mode (sync, async, dual) into {@code out/<mode>/}, then writes
   * {@code compare.json} ({@code {"modes": {...}, "ratios": {...}}}) and {@code report.html}, and
   * prints the table of ratios.
   *
   * @return the content of compare.json
   */
  public static Map<String, Object> compare(LoadgenOptions options, PrintStream out, PrintStream err) {
    Workload workload = prepare(options, out);
    Driver driver = new Driver(new GatewayClient(), out, err, drawProgress(options));
    String runId = runId();
    List<HtmlReport.RunData> runs = new ArrayList<>();
    Map<String, Map<String, Object>> summaries = new LinkedHashMap<>();
    for (String mode : LoadgenOptions.MODES) {
      HtmlReport.RunData run = driver.run(options.withMode(mode), workload, mode, options.out().resolve(mode), runId);
      runs.add(run);
      summaries.put(mode, run.summary());
    }
    Map<String, Object> compare = new LinkedHashMap<>();
    compare.put("modes", summaries);
    compare.put("ratios", CompareTable.ratios(summaries));
    OutputFiles.json(options.out().resolve("compare.json"), compare);
    OutputFiles.text(options.out().resolve("report.html"), HtmlReport.compare(runs));
    out.println();
    out.print(CompareTable.console(summaries));
    out.printf(Locale.ROOT, "%nwrote %s (compare.json, report.html, and one directory per mode)%n", options.out());
    return compare;
  }

  private static Workload prepare(LoadgenOptions options, PrintStream out) {
    Workload workload = Workload.load(options);
    out.println("workload: " + workload.source());
    out.println("fitting: " + workload.fitting().statement());
    out.printf(Locale.ROOT, "offered: %.2f invocations/s over %.1f s; the requested durations add up to %.1f calls at once on average"
            + " (each holds a sandbox thread, and with --work spin a core)%n",
        workload.spanMs() > 0 ? workload.invocations().size() / (workload.spanMs() / 1000) : 0, workload.spanMs() / 1000,
        workload.meanConcurrency());
    if (workload.invocations().isEmpty()) {
      throw new LoadgenException("the workload has no invocations (check --minutes, --functions and the trace)");
    }
    GatewayClient client = new GatewayClient();
    for (URI target : options.targets()) {
      client.awaitReady(target, READY_PATIENCE);
    }
    OutputFiles.createDirectory(options.out());
    return workload;
  }

  private static boolean drawProgress(LoadgenOptions options) {
    return !options.quiet() && System.console() != null;
  }

  private static String runId() {
    return Long.toString(new SecureRandom().nextLong() >>> 1, 36);
  }
}
