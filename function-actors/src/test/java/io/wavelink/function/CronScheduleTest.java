package io.wavelink.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class CronScheduleTest {

  private static Instant next(String cron, String zone, String after) {
    return CronSchedule.parse(cron, zone).next(Instant.parse(after)).orElseThrow();
  }

  @Test
  void everyFiveMinutes() {
    assertEquals(Instant.parse("2026-01-01T10:05:00Z"), next("*/5 * * * *", "UTC", "2026-01-01T10:00:00Z"));
    assertEquals(Instant.parse("2026-01-01T10:05:00Z"), next("*/5 * * * *", "UTC", "2026-01-01T10:04:59.900Z"));
  }

  @Test
  void withSecondsEveryTenSeconds() {
    assertEquals(Instant.parse("2026-01-01T10:00:10Z"), next("*/10 * * * * *", "UTC", "2026-01-01T10:00:00Z"));
    assertEquals(Instant.parse("2026-01-01T10:01:00Z"), next("*/10 * * * * *", "UTC", "2026-01-01T10:00:55Z"));
  }

  @Test
  void namesRangesListsAndTimeZones() {
    // 09:30 on weekdays in Berlin (UTC+1 in January): 08:30 UTC; Friday 2026-01-02 -> Monday 2026-01-05
    assertEquals(Instant.parse("2026-01-05T08:30:00Z"), next("30 9 * * MON-FRI", "Europe/Berlin", "2026-01-02T09:00:00Z"));
    assertEquals(Instant.parse("2026-03-01T00:00:00Z"), next("0 0 1 mar,jun *", "UTC", "2026-01-15T00:00:00Z"));
    assertEquals(Instant.parse("2026-01-01T12:15:00Z"), next("0,15,45 12 * * *", "UTC", "2026-01-01T12:00:00Z"));
  }

  @Test
  void dayOfMonthOrDayOfWeekWhenBothAreSet() {
    // the 13th, or any Friday: Friday 2026-02-06 comes before the 13th
    assertEquals(Instant.parse("2026-02-06T00:00:00Z"), next("0 0 13 * FRI", "UTC", "2026-02-01T00:00:00Z"));
    // Sunday as 0 and as 7
    assertEquals(next("0 0 * * 0", "UTC", "2026-02-01T01:00:00Z"), next("0 0 * * 7", "UTC", "2026-02-01T01:00:00Z"));
  }

  @Test
  void latestTickUpToNow() {
    CronSchedule everyMinute = CronSchedule.parse("* * * * *", "UTC");
    Instant now = Instant.parse("2026-01-10T12:30:30Z");
    // one tick due: it is the latest
    assertEquals(Instant.parse("2026-01-10T12:30:00Z"), everyMinute.latestTickUpTo(Instant.parse("2026-01-10T12:30:00Z"), now));
    // many missed, days ago: the latest, not the first
    assertEquals(Instant.parse("2026-01-10T12:30:00Z"), everyMinute.latestTickUpTo(Instant.parse("2026-01-02T00:00:00Z"), now));
    // a sparse schedule whose last tick is older than a day
    CronSchedule monthly = CronSchedule.parse("0 0 1 * *", "UTC");
    assertEquals(Instant.parse("2026-01-01T00:00:00Z"), monthly.latestTickUpTo(Instant.parse("2025-11-01T00:00:00Z"), now));
  }

  @Test
  void leapDayAndDstGap() {
    assertEquals(Instant.parse("2028-02-29T00:00:00Z"), next("0 0 29 2 *", "UTC", "2026-03-01T00:00:00Z"));
    // 02:30 does not exist in Berlin on 2026-03-29: the next one is the day after, 00:30 UTC
    assertEquals(Instant.parse("2026-03-30T00:30:00Z"), next("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z"));
  }

  @Test
  void mistakesAreExplained() {
    for (String bad : new String[] {"", "* * *", "61 * * * *", "* * * * MOO", "5-1 * * * *", "*/0 * * * *", "0 0 30 2 *"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse(bad, "UTC"), bad);
      assertTrue(!e.getMessage().isBlank(), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("* * * * *", "Mars/Olympus"));
  }
}
