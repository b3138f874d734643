package io.wavelink.loadgen.internal;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The progress bar on stderr, redrawn in place twice a second:
 * {@code [#########-----------]  45%  sent 450/1000  ok 440  failed 2  in flight 8}. Counting works
 * whether or not it is drawn.
 */
public final class Progress implements Replayer.Listener {

  private static final int WIDTH = 24;

  private final PrintStream err;
  private final boolean draw;
  private final int total;
  private final String label;
  private final AtomicInteger sent = new AtomicInteger();
  private final AtomicInteger ok = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private int lastLength;

  public Progress(PrintStream err, boolean draw, int total, String label) {
    this.err = err;
    this.draw = draw;
    this.total = total;
    this.label = label;
  }

  @Override
  public void sent() {
    sent.incrementAndGet();
  }

  @Override
  public void completed(boolean success) {
    (success ? ok : failed).incrementAndGet();
  }

  /** The bar as text. */
  public String line() {
    int s = sent.get();
    int o = ok.get();
    int f = failed.get();
    int done = o + f;
    double fraction = total == 0 ? 1 : (double) done / total;
    int filled = (int) Math.floor(fraction * WIDTH);
    return String.format(Locale.ROOT, "%s[%s%s] %3d%%  sent %d/%d  ok %d  failed %d  in flight %d",
        label.isEmpty() ? "" : label + " ", "#".repeat(filled), "-".repeat(WIDTH - filled),
        (int) Math.floor(fraction * 100), s, total, o, f, s - done);
  }

  /** Redraws the bar (call ~2 times a second). */
  public synchronized void redraw() {
    if (!draw) {
      return;
    }
    String l = line();
    err.print("\r" + l + " ".repeat(Math.max(0, lastLength - l.length())));
    err.flush();
    lastLength = l.length();
  }

  /** The final state, and a new line. */
  public synchronized void finish() {
    if (!draw) {
      return;
    }
    redraw();
    err.println();
  }

  public int failed() {
    return failed.get();
  }
}
