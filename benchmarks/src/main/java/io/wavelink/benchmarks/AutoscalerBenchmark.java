package io.wavelink.benchmarks;

import com.typesafe.config.ConfigFactory;
import io.wavelink.function.Autoscaler;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The cost of the autoscaler's per-tick work in a {@code FunctionEntity}: {@link Autoscaler#record}
 * (add the tick's observation, forget those past the stable window) and {@link Autoscaler#decide},
 * on the state a function has after a full stable window of ticks.
 *
 * <p>The state is built by replaying 60 one-second ticks through record and decide with the
 * member's default knobs ({@code wavelink.function.autoscaling} in reference.conf), so that it
 * holds 60 samples and the decisions a real entity would hold:
 *
 * <ul>
 *   <li>{@code stable}: about 7 invocations in flight throughout, 10 ready instances of concurrency
 *       1 (7 / 0.7 = 10 wanted): no panic;
 *   <li>{@code panic}: about 2 in flight for 54 s, then about 40 for the last 6 s, 3 ready
 *       instances: the panic window wants far more than twice the ready count, so it panics.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AutoscalerBenchmark {

  static final long T0 = 1_700_000_000_000L;
  static final int TICKS = 60;

  @Param({"stable", "panic"})
  public String load;

  Autoscaler.Settings settings;
  Autoscaler.State state;
  long now;
  int ready;
  double nextObservation;

  @Setup
  public void setUp() {
    settings =
        Autoscaler.Settings.create(
            ConfigFactory.defaultReference().getConfig("wavelink.function.autoscaling"));
    boolean panicLoad = load.equals("panic");
    ready = panicLoad ? 3 : 10;
    SplittableRandom random = new SplittableRandom(42);
    Autoscaler.State st = Autoscaler.State.initial(T0);
    Autoscaler.Decision last = null;
    for (int i = 1; i <= TICKS; i++) {
      long t = T0 + i * 1000L;
      double base = panicLoad ? (i > TICKS - 6 ? 40 : 2) : 7;
      st = Autoscaler.record(settings, st, t, base + random.nextDouble(-0.5, 0.5));
      last = Autoscaler.decide(settings, st, t, ready, 1, 0, 1000);
      st = last.next();
    }
    state = st;
    now = T0 + TICKS * 1000L;
    nextObservation = panicLoad ? 40.2 : 7.1;
    if (state.samples().size() != TICKS || last.panic() != panicLoad) {
      throw new IllegalStateException(
          load + ": expected " + TICKS + " samples and panic=" + panicLoad + ", got "
              + state.samples().size() + " samples and panic=" + last.panic());
    }
  }

  /** One observation added to a full window (the oldest sample falls out). */
  @Benchmark
  public Autoscaler.State record() {
    return Autoscaler.record(settings, state, now + 1000, nextObservation);
  }

  /** One decision over a full window. */
  @Benchmark
  public Autoscaler.Decision decide() {
    return Autoscaler.decide(settings, state, now, ready, 1, 0, 1000);
  }

  /** What a FunctionEntity does at each tick: record, then decide on the new state. */
  @Benchmark
  public Autoscaler.Decision tick() {
    Autoscaler.State next = Autoscaler.record(settings, state, now + 1000, nextObservation);
    return Autoscaler.decide(settings, next, now + 1000, ready, 1, 0, 1000);
  }
}
