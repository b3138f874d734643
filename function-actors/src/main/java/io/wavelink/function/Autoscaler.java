package io.wavelink.function;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The regular track's scaling decision, Knative's concurrency-based algorithm as a pure function over
 * recorded observations and a clock. A {@link FunctionEntity} records the average concurrency it saw
 * (invocations in flight plus queued) once per tick and asks for a decision; nothing here blocks,
 * persists or talks to an actor.
 *
 * <p>Worked example (target utilization 0.7, concurrency 1 per instance, stable window 60 s, panic
 * window 6 s, panic threshold 2.0). A function idles with 1 regular instance; then 10 invocations
 * arrive and stay in flight. After the next tick the 6 s panic average is about 10/6*1 = 1.7 and the
 * 60 s stable average 0.17, so the panic-wanted count is ceil(1.7 / 0.7) = 3, which is 3x the one
 * ready instance: at or past the threshold, so the function panics and the decision is 3. Each further
 * tick raises the panic average until it reaches 10, wanting ceil(10 / 0.7) = 15 instances (capped by
 * maxScale and the scale-up rate). While panicking the decision never goes down; panic ends once a
 * stable window passes without the condition, and from then on the stable average decides, lowered at
 * most by the scale-down rate and held for the scale-down delay. With no concurrency for the
 * scale-to-zero grace period, and minScale 0, the decision reaches 0.
 */
public final class Autoscaler {

  private Autoscaler() {}

  /** Knobs; each has a default in reference.conf ({@code wavelink.function.autoscaling}). */
  public record Settings(
      double targetUtilization,
      Duration stableWindow,
      Duration panicWindow,
      double panicThreshold,
      double maxScaleUpRate,
      double maxScaleDownRate,
      Duration scaleDownDelay,
      Duration scaleToZeroGrace) {

    /** The knobs a function's spec may override, with their units. */
    public static final java.util.List<String> KNOBS =
        java.util.List.of(
            "targetUtilization",
            "stableWindowMs",
            "panicWindowMs",
            "panicThreshold",
            "maxScaleUpRate",
            "maxScaleDownRate",
            "scaleDownDelayMs",
            "scaleToZeroGraceMs");

    /** What is wrong with a spec's overrides, in words a user can act on. */
    public static java.util.List<String> problems(java.util.Map<String, Double> overrides) {
      java.util.List<String> problems = new java.util.ArrayList<>();
      overrides.forEach(
          (k, v) -> {
            if (!KNOBS.contains(k)) {
              problems.add("unknown autoscaling knob \"" + k + "\" (known: " + KNOBS + ")");
            } else if (v == null || v.isNaN() || v.isInfinite()) {
              problems.add("autoscaling." + k + " must be a number");
            } else {
              boolean ok =
                  switch (k) {
                    case "targetUtilization" -> v > 0 && v <= 1;
                    case "stableWindowMs", "panicWindowMs" -> v >= 1000 && v <= 3_600_000;
                    case "panicThreshold", "maxScaleUpRate", "maxScaleDownRate" -> v >= 1;
                    default -> v >= 0 && v <= 3_600_000;
                  };
              if (!ok) {
                problems.add("autoscaling." + k + " is out of range: " + v);
              }
            }
          });
      return problems;
    }

    /** These settings with a function's overrides applied. */
    public Settings with(java.util.Map<String, Double> o) {
      if (o.isEmpty()) {
        return this;
      }
      return new Settings(
          o.getOrDefault("targetUtilization", targetUtilization),
          ms(o, "stableWindowMs", stableWindow),
          ms(o, "panicWindowMs", panicWindow),
          o.getOrDefault("panicThreshold", panicThreshold),
          o.getOrDefault("maxScaleUpRate", maxScaleUpRate),
          o.getOrDefault("maxScaleDownRate", maxScaleDownRate),
          ms(o, "scaleDownDelayMs", scaleDownDelay),
          ms(o, "scaleToZeroGraceMs", scaleToZeroGrace));
    }

    private static Duration ms(java.util.Map<String, Double> o, String key, Duration fallback) {
      Double v = o.get(key);
      return v == null ? fallback : Duration.ofMillis(v.longValue());
    }

    public static Settings create(Config c) {
      return new Settings(
          c.getDouble("target-utilization"),
          c.getDuration("stable-window"),
          c.getDuration("panic-window"),
          c.getDouble("panic-threshold"),
          c.getDouble("max-scale-up-rate"),
          c.getDouble("max-scale-down-rate"),
          c.getDuration("scale-down-delay"),
          c.getDuration("scale-to-zero-grace"));
    }
  }

  /** The average concurrency observed over the tick ending at {@code atMs}. */
  public record Sample(long atMs, double concurrency) {}

  /** What the decision remembers between ticks. Immutable. */
  public record State(
      List<Sample> samples, long panicSinceMs, int panicDesired, List<Sample> decisions, long lastActiveMs) {

    public static State initial(long nowMs) {
      return new State(List.of(), -1, 0, List.of(), nowMs);
    }

    public boolean panicking() {
      return panicSinceMs >= 0;
    }
  }

  /** The number of regular instances wanted now, and the state to keep. */
  public record Decision(int desired, boolean panic, State next) {}

  /** Adds an observation and forgets those older than the stable window. */
  public static State record(Settings s, State st, long nowMs, double concurrency) {
    long horizon = nowMs - s.stableWindow().toMillis();
    List<Sample> samples = new ArrayList<>(st.samples().size() + 1);
    for (Sample x : st.samples()) {
      if (x.atMs() > horizon) {
        samples.add(x);
      }
    }
    samples.add(new Sample(nowMs, concurrency));
    long lastActive = concurrency > 0 ? nowMs : st.lastActiveMs();
    return new State(List.copyOf(samples), st.panicSinceMs(), st.panicDesired(), st.decisions(), lastActive);
  }

  /**
   * @param ready regular instances currently ready
   * @param perInstance invocations one instance serves at once (the function's concurrency)
   */
  public static Decision decide(
      Settings s, State st, long nowMs, int ready, int perInstance, int minScale, int maxScale) {
    double target = Math.max(perInstance * s.targetUtilization(), 0.01);
    double stableAvg = average(st.samples(), nowMs - s.stableWindow().toMillis());
    double panicAvg = average(st.samples(), nowMs - s.panicWindow().toMillis());
    int wantStable = (int) Math.ceil(stableAvg / target - 1e-9);
    int wantPanic = (int) Math.ceil(panicAvg / target - 1e-9);

    long panicSince = st.panicSinceMs();
    boolean panicCondition =
        wantPanic > ready && (double) wantPanic / Math.max(ready, 1) >= s.panicThreshold();
    if (panicCondition) {
      panicSince = nowMs;
    } else if (panicSince >= 0 && nowMs - panicSince >= s.stableWindow().toMillis()) {
      panicSince = -1;
    }

    int desired;
    int panicDesired = 0;
    if (panicSince >= 0) {
      desired = Math.max(wantPanic, st.panicDesired());
      panicDesired = desired;
    } else {
      desired = wantStable;
    }

    int maxUp = (int) Math.ceil(s.maxScaleUpRate() * Math.max(ready, 1));
    desired = Math.min(desired, maxUp);
    if (ready > 0) {
      int maxDown = (int) Math.floor(ready / s.maxScaleDownRate());
      desired = Math.max(desired, maxDown);
    }

    // hold the highest recent decision for the scale-down delay
    long delayHorizon = nowMs - s.scaleDownDelay().toMillis();
    List<Sample> decisions = new ArrayList<>();
    int held = desired;
    for (Sample d : st.decisions()) {
      if (d.atMs() > delayHorizon) {
        decisions.add(d);
        held = Math.max(held, (int) d.concurrency());
      }
    }
    decisions.add(new Sample(nowMs, desired));
    desired = held;

    // scale to zero only after the grace period without any concurrency
    if (desired == 0 && ready > 0 && nowMs - st.lastActiveMs() < s.scaleToZeroGrace().toMillis()) {
      desired = 1;
    }
    desired = Math.max(minScale, Math.min(maxScale, desired));
    State next =
        new State(st.samples(), panicSince, panicDesired, List.copyOf(decisions), st.lastActiveMs());
    return new Decision(desired, panicSince >= 0, next);
  }

  private static double average(List<Sample> samples, long afterMs) {
    double sum = 0;
    int n = 0;
    for (Sample x : samples) {
      if (x.atMs() > afterMs) {
        sum += x.concurrency();
        n++;
      }
    }
    return n == 0 ? 0 : sum / n;
  }
}
