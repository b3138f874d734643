package io.wavelink.function;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.Locale;
import java.util.Optional;

/**
 * A cron expression in a time zone: when a function's schedule fires. Immutable, pure.
 *
 * <p>Five fields (minute, hour, day of month, month, day of week) as in crontab(5), or six with a
 * leading seconds field. Each field is {@code *}, a number, a range {@code a-b}, any of these with a
 * step ({@code * /15}, {@code 0-30/5}, written without the space), or a comma-separated list of
 * them; months and days of week also by their English three-letter names; day of week 0 and 7 are
 * Sunday. As in cron, when both day of month and day of week are restricted, a day matching either
 * fires. Local times that do not exist (a DST gap) are skipped; in a repeated hour (DST ends) a time
 * fires at both of its occurrences.
 */
public final class CronSchedule {

  private static final String[] MONTHS = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  private static final String[] DAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
  /** how far ahead {@link #next} looks before it concludes that the expression never fires */
  private static final int HORIZON_YEARS = 5;

  private final String expression;
  private final ZoneId zone;
  private final boolean withSeconds;
  private final BitSet seconds;
  private final BitSet minutes;
  private final BitSet hours;
  private final BitSet daysOfMonth;
  private final BitSet months;
  private final BitSet daysOfWeek;
  private final boolean domRestricted;
  private final boolean dowRestricted;

  private CronSchedule(String expression, ZoneId zone) {
    this.expression = expression;
    this.zone = zone;
    String[] f = expression.trim().split("\\s+");
    if (f.length != 5 && f.length != 6) {
      throw new IllegalArgumentException(
          "a cron expression has 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), not "
              + f.length + ": \"" + expression + "\"");
    }
    withSeconds = f.length == 6;
    int i = 0;
    seconds = withSeconds ? field("seconds", f[i++], 0, 59, null) : single(0);
    minutes = field("minute", f[i++], 0, 59, null);
    hours = field("hour", f[i++], 0, 23, null);
    daysOfMonth = field("day of month", f[i], 1, 31, null);
    domRestricted = !f[i++].equals("*");
    months = field("month", f[i++], 1, 12, MONTHS);
    BitSet dow = field("day of week", f[i], 0, 7, DAYS);
    dowRestricted = !f[i].equals("*");
    if (dow.get(7)) {
      dow.set(0);
    }
    daysOfWeek = dow;
  }

  /**
   * Parses {@code expression} in {@code timeZone} (an IANA zone id such as {@code Europe/Berlin};
   * empty or null: UTC).
   *
   * @throws IllegalArgumentException with a message for the user
   */
  public static CronSchedule parse(String expression, String timeZone) {
    if (expression == null || expression.isBlank()) {
      throw new IllegalArgumentException("a schedule needs a cron expression");
    }
    ZoneId zone;
    try {
      zone = timeZone == null || timeZone.isBlank() ? ZoneId.of("UTC") : ZoneId.of(timeZone);
    } catch (DateTimeException e) {
      throw new IllegalArgumentException("unknown time zone \"" + timeZone + "\" (use an IANA id such as Europe/Berlin)");
    }
    CronSchedule s = new CronSchedule(expression, zone);
    if (s.next(Instant.now()).isEmpty()) {
      throw new IllegalArgumentException("the cron expression \"" + expression + "\" never fires");
    }
    return s;
  }

  /**
   * The latest tick not after {@code now}, given {@code first}, a tick not after {@code now}. Looked
   * for within the last day when {@code first} is older (a schedule of every second missed for days
   * is not walked tick by tick); a schedule with no tick in the last day walks from {@code first}.
   */
  public Instant latestTickUpTo(Instant first, Instant now) {
    Instant from = first.isBefore(now.minus(java.time.Duration.ofDays(1))) ? now.minus(java.time.Duration.ofDays(1)) : first;
    Instant tick = from.equals(first) ? first : null;
    for (Optional<Instant> t = next(from); t.isPresent() && !t.get().isAfter(now); t = next(t.get())) {
      tick = t.get();
    }
    if (tick == null) {
      tick = first;
      for (Optional<Instant> t = next(tick); t.isPresent() && !t.get().isAfter(now); t = next(t.get())) {
        tick = t.get();
      }
    }
    return tick;
  }

  /** The first time after {@code after} (strictly) at which this schedule fires, if within five years. */
  public Optional<Instant> next(Instant after) {
    ZonedDateTime t = after.atZone(zone).truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
    if (!withSeconds && t.getSecond() != 0) {
      t = t.truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
    }
    ZonedDateTime end = t.plusYears(HORIZON_YEARS);
    while (t.isBefore(end)) {
      if (!months.get(t.getMonthValue())) {
        t = t.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).plusMonths(1);
        continue;
      }
      if (!dayMatches(t)) {
        t = t.truncatedTo(ChronoUnit.DAYS).plusDays(1);
        continue;
      }
      if (!hours.get(t.getHour())) {
        t = t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
        continue;
      }
      if (!minutes.get(t.getMinute())) {
        t = t.truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        continue;
      }
      if (!seconds.get(t.getSecond())) {
        t = t.plusSeconds(1);
        continue;
      }
      return Optional.of(t.toInstant());
    }
    return Optional.empty();
  }

  private boolean dayMatches(ZonedDateTime t) {
    boolean dom = daysOfMonth.get(t.getDayOfMonth());
    boolean dow = daysOfWeek.get(t.getDayOfWeek().getValue() % 7);
    if (domRestricted && dowRestricted) {
      return dom || dow;
    }
    return dom && dow;
  }

  public String expression() {
    return expression;
  }

  public ZoneId zone() {
    return zone;
  }

  private static BitSet single(int v) {
    BitSet b = new BitSet();
    b.set(v);
    return b;
  }

  private static BitSet field(String name, String text, int min, int max, String[] names) {
    BitSet bits = new BitSet();
    for (String part : text.split(",", -1)) {
      if (part.isEmpty()) {
        throw new IllegalArgumentException("empty item in the " + name + " field \"" + text + "\"");
      }
      int step = 1;
      String range = part;
      int slash = part.indexOf('/');
      if (slash >= 0) {
        range = part.substring(0, slash);
        step = number(name, part.substring(slash + 1), 1, max - min + 1, null, 0);
      }
      int from;
      int to;
      if (range.equals("*")) {
        from = min;
        to = max;
      } else {
        int dash = range.indexOf('-');
        if (dash > 0) {
          from = number(name, range.substring(0, dash), min, max, names, min);
          to = number(name, range.substring(dash + 1), min, max, names, min);
          if (to < from) {
            throw new IllegalArgumentException("the " + name + " range \"" + range + "\" runs backwards");
          }
        } else {
          from = number(name, range, min, max, names, min);
          to = slash >= 0 ? max : from;
        }
      }
      for (int v = from; v <= to; v += step) {
        bits.set(v);
      }
    }
    return bits;
  }

  private static int number(String name, String text, int min, int max, String[] names, int namesFrom) {
    if (names != null) {
      for (int i = 0; i < names.length; i++) {
        if (names[i].equals(text.toUpperCase(Locale.ROOT))) {
          return namesFrom + i;
        }
      }
    }
    int v;
    try {
      v = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("\"" + text + "\" is not a valid " + name);
    }
    if (v < min || v > max) {
      throw new IllegalArgumentException("the " + name + " must be between " + min + " and " + max + ", not " + v);
    }
    return v;
  }

  @Override
  public String toString() {
    return expression + " (" + zone + ")";
  }
}
