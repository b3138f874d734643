package io.wavelink.loadgen.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small, dependency-free line chart rendered as inline SVG, for the self-contained report: lines,
 * steps or filled steps, linear or logarithmic axes, an optional right-hand axis, a legend, and a
 * {@code <title>} on every series (shown on hover).
 */
public final class SvgChart {

  public enum Style {
    LINE,
    STEP,
    AREA
  }

  /** One series; {@code x} and {@code y} have the same length. */
  public record Series(String name, String color, double[] x, double[] y, Style style, boolean rightAxis) {}

  private static final AtomicInteger CLIP_IDS = new AtomicInteger();

  private final String title;
  private final String xLabel;
  private final String yLabel;
  private String y2Label;
  private boolean xLog;
  private boolean yLog;
  private double[] xDomain;
  private Double yMax;
  private Double y2Max;
  private final List<Series> series = new ArrayList<>();

  public SvgChart(String title, String xLabel, String yLabel) {
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
  }

  public SvgChart logX() {
    xLog = true;
    return this;
  }

  public SvgChart logY() {
    yLog = true;
    return this;
  }

  public SvgChart rightAxis(String label) {
    y2Label = label;
    return this;
  }

  /** Fixes the x range (e.g. the same time axis for every mode). */
  public SvgChart xDomain(double min, double max) {
    xDomain = new double[] {min, max};
    return this;
  }

  public SvgChart yMax(double max) {
    yMax = max;
    return this;
  }

  public SvgChart y2Max(double max) {
    y2Max = max;
    return this;
  }

  public SvgChart add(String name, String color, double[] x, double[] y, Style style) {
    series.add(new Series(name, color, x, y, style, false));
    return this;
  }

  public SvgChart addRight(String name, String color, double[] x, double[] y, Style style) {
    series.add(new Series(name, color, x, y, style, true));
    return this;
  }

  public String render(int width, int height) {
    int clipId = CLIP_IDS.incrementAndGet();
    int left = 64;
    int right = width - (y2Label == null ? 20 : 64);
    int top = 44;
    int bottom = height - 46;
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" class=\"chart\" role=\"img\">",
        width, height, width, height));
    svg.append("<title>").append(Html.escape(title)).append("</title>");
    svg.append(text(left, 18, title, "start", "chart-title"));

    double[] xr = range(true, false);
    double[] yr = range(false, false);
    boolean hasRight = series.stream().anyMatch(Series::rightAxis);
    double[] y2r = hasRight ? range(false, true) : new double[] {0, 1};
    if (xr == null || yr == null) {
      svg.append(text((left + right) / 2.0, (top + bottom) / 2.0, "no data", "middle", "muted"));
      svg.append("</svg>");
      return svg.toString();
    }
    if (xDomain != null) {
      xr = new double[] {xDomain[0], xDomain[1]};
    }
    Scale sx = new Scale(xr[0], xr[1], left, right, xLog);
    Scale sy = new Scale(yr[0], yMax != null ? Math.max(yMax, yr[0] + 1e-9) : yr[1], bottom, top, yLog);
    Scale sy2 = new Scale(0, y2Max != null ? y2Max : y2r[1], bottom, top, false);
    sy = sy.nice();
    sy2 = sy2.nice();
    sx = xDomain != null ? sx : sx.nice();

    // grid and ticks
    svg.append("<g class=\"grid\">");
    for (double t : sy.ticks()) {
      double py = sy.map(t);
      svg.append(line(left, py, right, py, "gridline"));
      svg.append(text(left - 6, py + 4, label(t), "end", "tick"));
    }
    for (double t : sx.ticks()) {
      double px = sx.map(t);
      svg.append(line(px, top, px, bottom, "gridline"));
      svg.append(text(px, bottom + 16, label(t), "middle", "tick"));
    }
    if (y2Label != null && hasRight) {
      for (double t : sy2.ticks()) {
        svg.append(text(right + 6, sy2.map(t) + 4, label(t), "start", "tick"));
      }
    }
    svg.append("</g>");
    svg.append(line(left, bottom, right, bottom, "axis"));
    svg.append(line(left, top, left, bottom, "axis"));
    svg.append(text((left + right) / 2.0, height - 8, xLabel, "middle", "axis-label"));
    svg.append(String.format(Locale.ROOT,
        "<text x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\" text-anchor=\"middle\" class=\"axis-label\">%s</text>",
        (top + bottom) / 2.0, (top + bottom) / 2.0, Html.escape(yLabel)));
    if (y2Label != null && hasRight) {
      svg.append(String.format(Locale.ROOT,
          "<text x=\"%d\" y=\"%.1f\" transform=\"rotate(90 %d %.1f)\" text-anchor=\"middle\" class=\"axis-label\">%s</text>",
          width - 12, (top + bottom) / 2.0, width - 12, (top + bottom) / 2.0, Html.escape(y2Label)));
    }

    // series: areas first, so lines stay on top
    svg.append(String.format(Locale.ROOT,
        "<clipPath id=\"c%d\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/></clipPath>",
        clipId, left, top, right - left, bottom - top));
    svg.append(String.format(Locale.ROOT, "<g clip-path=\"url(#c%d)\">", clipId));
    for (Style pass : new Style[] {Style.AREA, Style.STEP, Style.LINE}) {
      for (Series s : series) {
        if (s.style() == pass) {
          svg.append(path(s, sx, s.rightAxis() ? sy2 : sy));
        }
      }
    }
    svg.append("</g>");

    // legend
    double lx = left + 4;
    for (Series s : series) {
      svg.append(String.format(Locale.ROOT,
          "<rect x=\"%.1f\" y=\"26\" width=\"10\" height=\"10\" fill=\"%s\" opacity=\"%s\"/>",
          lx, s.color(), s.style() == Style.AREA ? "0.5" : "1"));
      svg.append(text(lx + 14, 35, s.name(), "start", "legend"));
      lx += 24 + 7 * s.name().length();
    }
    svg.append("</svg>");
    return svg.toString();
  }

  private String path(Series s, Scale sx, Scale sy) {
    StringBuilder d = new StringBuilder();
    int n = s.x().length;
    int stride = Math.max(1, n / 4000);
    double prevY = Double.NaN;
    double firstX = Double.NaN;
    double lastX = Double.NaN;
    for (int i = 0; i < n; i = (i == n - 1 || i + stride < n) ? i + stride : n - 1) {
      double x = s.x()[i];
      double y = s.y()[i];
      if (!Double.isFinite(x) || !Double.isFinite(y) || (sx.log && x <= 0) || (sy.log && y <= 0)) {
        continue;
      }
      double px = sx.map(x);
      double py = sy.map(y);
      if (Double.isNaN(firstX)) {
        firstX = px;
        if (s.style() == Style.AREA) {
          d.append(String.format(Locale.ROOT, "M%.1f,%.1f L%.1f,%.1f", px, sy.map(sy.min), px, py));
        } else {
          d.append(String.format(Locale.ROOT, "M%.1f,%.1f", px, py));
        }
      } else if (s.style() == Style.LINE) {
        d.append(String.format(Locale.ROOT, " L%.1f,%.1f", px, py));
      } else {
        d.append(String.format(Locale.ROOT, " L%.1f,%.1f L%.1f,%.1f", px, prevY, px, py));
      }
      prevY = py;
      lastX = px;
    }
    if (d.length() == 0) {
      return "";
    }
    if (s.style() == Style.AREA) {
      d.append(String.format(Locale.ROOT, " L%.1f,%.1f Z", lastX, sy.map(sy.min)));
      return String.format(Locale.ROOT,
          "<path d=\"%s\" fill=\"%s\" fill-opacity=\"0.35\" stroke=\"none\"><title>%s</title></path>",
          d, s.color(), Html.escape(s.name()));
    }
    return String.format(Locale.ROOT,
        "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\"><title>%s</title></path>",
        d, s.color(), Html.escape(s.name()));
  }

  /** min and max over the series' x (or y, left or right axis) values; null if there are none. */
  private double[] range(boolean x, boolean right) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      if (!x && s.rightAxis() != right) {
        continue;
      }
      for (int i = 0; i < s.x().length; i++) {
        double v = x ? s.x()[i] : s.y()[i];
        boolean log = x ? xLog : yLog && !right;
        if (Double.isFinite(v) && (!log || v > 0)) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
      }
    }
    if (min > max) {
      return right ? new double[] {0, 1} : null;
    }
    boolean log = x ? xLog : yLog && !right;
    if (!x && !log) {
      min = Math.min(0, min);
    }
    if (max == min) {
      max = log ? min * 10 : min + 1;
    }
    return new double[] {min, max};
  }

  /** Maps a domain onto pixels. */
  private record Scale(double min, double max, double from, double to, boolean log) {

    double map(double v) {
      double f = log
          ? (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))
          : (v - min) / (max - min);
      return from + f * (to - from);
    }

    /** Widens the domain to round tick values. */
    Scale nice() {
      if (log) {
        return new Scale(Math.pow(10, Math.floor(Math.log10(min))), Math.pow(10, Math.ceil(Math.log10(max))), from, to, true);
      }
      double step = step();
      return new Scale(Math.floor(min / step) * step, Math.ceil(max / step) * step, from, to, false);
    }

    double step() {
      double raw = (max - min) / 5;
      double mag = Math.pow(10, Math.floor(Math.log10(raw)));
      double norm = raw / mag;
      return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
    }

    List<Double> ticks() {
      List<Double> ticks = new ArrayList<>();
      if (log) {
        int lo = (int) Math.floor(Math.log10(min));
        int hi = (int) Math.ceil(Math.log10(max));
        for (int e = lo; e <= hi; e++) {
          for (int m : hi - lo <= 2 ? new int[] {1, 2, 5} : new int[] {1}) {
            double t = m * Math.pow(10, e);
            if (t >= min * 0.999 && t <= max * 1.001) {
              ticks.add(t);
            }
          }
        }
        return ticks;
      }
      double step = step();
      for (double t = Math.ceil(min / step) * step; t <= max + step * 1e-6; t += step) {
        ticks.add(Math.abs(t) < step * 1e-9 ? 0 : t);
      }
      return ticks;
    }
  }

  static String label(double v) {
    double a = Math.abs(v);
    if (a >= 1e6) {
      return trim(v / 1e6) + "M";
    }
    if (a >= 1e4) {
      return trim(v / 1e3) + "k";
    }
    return trim(v);
  }

  private static String trim(double v) {
    if (v == Math.rint(v)) {
      return Long.toString((long) v);
    }
    String s = String.format(Locale.ROOT, Math.abs(v) < 0.1 ? "%.3f" : "%.2f", v);
    s = s.replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  private static String line(double x1, double y1, double x2, double y2, String cls) {
    return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>", x1, y1, x2, y2, cls);
  }

  private static String text(double x, double y, String s, String anchor, String cls) {
    return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"%s\">%s</text>",
        x, y, anchor, cls, Html.escape(s));
  }
}
