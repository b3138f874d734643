package io.wavelink.loadgen;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * {@code wavelink loadgen run|compare ...} (see {@link LoadgenOptions#USAGE}). Exit status 0 when
 * the run completed (whatever its failures), 1 for a problem the user can fix (the message says
 * which file, line or URL), 2 for a bad command line.
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
    if (!command.equals("run") && !command.equals("compare")) {
      err.println("loadgen: unknown command '" + command + "' (run or compare)");
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
}
