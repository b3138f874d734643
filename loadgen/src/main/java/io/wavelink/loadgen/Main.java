package io.wavelink.loadgen;

import io.wavelink.loadgen.internal.AzureTraceMaker;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code wavelink loadgen run|compare ...} (see {@link LoadgenOptions#USAGE}) and {@code wavelink
 * loadgen make-trace ...} (a synthetic trace in the Azure 2019 layout, see {@link
 * AzureTraceMaker}). Exit status 0 when the run completed (whatever its failures), 1 for a problem
 * the user can fix (the message says which file, line or URL), 2 for a bad command line.
 */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the command line; returns the exit status. Never prints a stack trace for a user mistake. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || List.of("help", "--help", "-h").contains(args[0])) {
      (args.length == 0 ? err : out).println(LoadgenOptions.USAGE);
      return args.length == 0 ? 2 : 0;
    }
    String command = args[0];
    if (command.equals("make-trace")) {
      return makeTrace(Arrays.asList(args).subList(1, args.length), out, err);
    }
    if (!command.equals("run") && !command.equals("compare")) {
      err.println("loadgen: unknown command '" + command + "' (run, compare or make-trace)");
      err.println(LoadgenOptions.USAGE);
      return 2;
    }
    try {
      LoadgenOptions options = LoadgenOptions.parse(command, Arrays.asList(args).subList(1, args.length));
      if (command.equals("run")) {
        LoadGenerator.run(options, out, err);
      } else {
        LoadGenerator.compare(options, out, err);
      }
      return 0;
    } catch (UsageException e) {
      err.println("loadgen: " + e.getMessage());
      err.println(LoadgenOptions.USAGE);
      return 2;
    } catch (LoadgenException e) {
      err.println("loadgen: error: " + e.getMessage());
      return 1;
    }
  }

  private static int makeTrace(List<String> args, PrintStream out, PrintStream err) {
    if (args.contains("--help") || args.contains("-h")) {
      out.println(AzureTraceMaker.Options.USAGE);
      return 0;
    }
    try {
      AzureTraceMaker.Options options = AzureTraceMaker.parse(args);
      AzureTraceMaker.Made made = AzureTraceMaker.make(options);
      Map<String, Object> s = made.stats();
      out.printf(Locale.ROOT, "wrote %s: %s functions in %s applications, %s minutes, %s invocations (%s/s on average,"
              + " %s/s in the busiest minute)%n", options.out(), s.get("functions"), s.get("applications"), s.get("minutes"),
          s.get("invocations"), s.get("meanPerSecond"), s.get("peakMinutePerSecond"));
      out.printf(Locale.ROOT, "  functions invoked at most hourly %s, at most once a minute %s; the busiest 10%% take %s of the"
              + " invocations; average duration p50 %s ms, p90 %s ms, max %s ms; application memory p50 %s MiB, max %s MiB%n",
          s.get("shareOfFunctionsAtMostHourly"), s.get("shareOfFunctionsAtMostMinutely"), s.get("shareOfInvocationsOfTheBusiest10Percent"),
          ((Map<?, ?>) s.get("averageDurationMs")).get("p50"), ((Map<?, ?>) s.get("averageDurationMs")).get("p90"),
          ((Map<?, ?>) s.get("averageDurationMs")).get("max"), ((Map<?, ?>) s.get("applicationMemoryMb")).get("p50"),
          ((Map<?, ?>) s.get("applicationMemoryMb")).get("max"));
      out.printf(Locale.ROOT, "  (the figures are in %s)%n", options.out().resolve("make-trace.json"));
      return 0;
    } catch (UsageException e) {
      err.println("loadgen: " + e.getMessage());
      err.println(AzureTraceMaker.Options.USAGE);
      return 2;
    } catch (LoadgenException e) {
      err.println("loadgen: error: " + e.getMessage());
      return 1;
    }
  }
}
