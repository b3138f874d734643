package io.wavelink.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SummaryTest {

  private static final String WRK =
      """
      Running 15s test @ http://127.0.0.1:8090/v1/functions/echo/invoke
        1 threads and 32 connections
        Thread Stats   Avg      Stdev     Max   +/- Stdev
          Latency     2.10ms    1.02ms  40.11ms   90.00%
          Req/Sec    15.50k     1.20k   17.00k    70.00%
        Latency Distribution
           50%  850.00us
           75%    2.00ms
           90%    3.00ms
           99%    1.20s
        231456 requests in 15.00s, 30.00MB read
        Socket errors: connect 0, read 2, write 0, timeout 1
        Non-2xx or 3xx responses: 7
      Requests/sec:  15430.40
      Transfer/sec:      2.00MB
      """;

  @Test
  void readsWrkOutput() {
    Summary.Wrk w = Summary.parseWrk(WRK);
    assertEquals(15430.40, w.rps(), 1e-9);
    assertEquals(0.85, w.p50Ms(), 1e-9);
    assertEquals(1200.0, w.p99Ms(), 1e-9);
    assertEquals(231456, w.requests());
    assertEquals(7, w.non2xx());
    assertEquals(3, w.socketErrors());
  }

  @Test
  void mediansAndNearestRankPercentiles() {
    assertEquals(2.0, Stats.median(List.of(3.0, 1.0, 2.0)));
    assertEquals(2.5, Stats.median(List.of(4.0, 1.0, 2.0, 3.0)));
    Latencies l = new Latencies(1000);
    for (int i = 1000; i >= 1; i--) {
      l.record(i * 1_000_000L); // 1..1000 ms, recorded out of order
    }
    Map<String, Object> s = l.summaryMs();
    assertEquals(1000, s.get("count"));
    assertEquals(500.0, s.get("p50Ms"));
    assertEquals(990.0, s.get("p99Ms"));
    assertEquals(1000.0, s.get("maxMs"));
  }
}
