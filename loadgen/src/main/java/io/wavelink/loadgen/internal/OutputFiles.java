package io.wavelink.loadgen.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.wavelink.loadgen.LoadgenException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Writes a run's files: {@code invocations.csv}, {@code instances.csv}, JSON and HTML. */
public final class OutputFiles {

  public static final String INVOCATIONS_HEADER =
      "function,scheduledMs,startMs,requestedMs,responseMs,executionMs,instanceKind,coldStart,status,requestedMb,instance,target";
  public static final String INSTANCES_HEADER = "tS,regular,emergency,inFlight,queued";

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private OutputFiles() {}

  public static void createDirectory(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new LoadgenException("cannot create the output directory " + dir + ": " + e.getMessage());
    }
  }

  public static void invocations(Path file, List<InvocationRecord> records) {
    write(file, w -> {
      w.write(INVOCATIONS_HEADER);
      w.newLine();
      for (InvocationRecord r : records) {
        w.write(String.join(",",
            r.function(),
            ms(r.scheduledMs()),
            ms(r.startMs()),
            Long.toString(r.requestedMs()),
            ms(r.responseMs()),
            Double.isNaN(r.executionMs()) ? "" : ms(r.executionMs()),
            r.instanceKind(),
            r.coldStart(),
            r.status(),
            Integer.toString(r.requestedMb()),
            r.instance().replace(',', ' '),
            r.target()));
        w.newLine();
      }
    });
  }

  public static void instances(Path file, List<InstanceSample> samples) {
    write(file, w -> {
      w.write(INSTANCES_HEADER);
      w.newLine();
      for (InstanceSample s : samples) {
        w.write(String.format(Locale.ROOT, "%.3f,%d,%d,%d,%d", s.tMs() / 1000, s.regular(), s.emergency(), s.inFlight(), s.queued()));
        w.newLine();
      }
    });
  }

  public static void json(Path file, Object value) {
    write(file, w -> w.write(JSON.writeValueAsString(value)));
  }

  public static void text(Path file, String text) {
    write(file, w -> w.write(text));
  }

  static String ms(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }

  private interface Body {
    void write(BufferedWriter w) throws IOException;
  }

  private static void write(Path file, Body body) {
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      body.write(w);
    } catch (IOException e) {
      throw new LoadgenException("cannot write " + file + ": " + e.getMessage());
    }
  }
}
