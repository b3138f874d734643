package io.wavelink.loadgen.internal;

import io.wavelink.loadgen.LoadgenException;
import io.wavelink.loadgen.TraceFormatException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A streaming reader for the traces' plain CSV (comma-separated, no quoting, a header line), that
 * keeps line numbers so every error can name the file and the line.
 */
public final class Csv implements AutoCloseable {

  /** One data line: its 1-based line number and its cells (trimmed). */
  public record Row(Path file, int line, String[] cells) {

    public String text(int column) {
      return cells[column];
    }

    /** The cell as a finite number. */
    public double number(int column, String what) {
      String cell = cells[column];
      try {
        double d = Double.parseDouble(cell);
        if (Double.isFinite(d)) {
          return d;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw error(what + " must be a number (column " + (column + 1) + " is '" + cell + "')");
    }

    /** The cell as a number that is not negative. */
    public double nonNegative(int column, String what) {
      double d = number(column, what);
      if (d < 0) {
        throw error(what + " must not be negative (column " + (column + 1) + " is '" + cells[column] + "')");
      }
      return d;
    }

    /** The cell as a whole, non-negative count ({@code 5} or {@code 5.0}). */
    public long count(int column, String what) {
      double d = nonNegative(column, what);
      if (d != Math.rint(d)) {
        throw error(what + " must be a whole number (column " + (column + 1) + " is '" + cells[column] + "')");
      }
      return (long) d;
    }

    public void expectColumns(int n) {
      if (cells.length != n) {
        throw error("expected " + n + " columns like the header, found " + cells.length);
      }
    }

    public TraceFormatException error(String problem) {
      return new TraceFormatException(file, line, problem);
    }
  }

  private final Path file;
  private final BufferedReader reader;
  private final String[] header;
  private int line;

  private Csv(Path file, BufferedReader reader) throws IOException {
    this.file = file;
    this.reader = reader;
    String first = reader.readLine();
    line = 1;
    if (first == null || first.isBlank()) {
      reader.close();
      throw new TraceFormatException(file, 1, "the file is empty; expected a CSV header line");
    }
    this.header = split(stripBom(first));
  }

  /**
   * Opens {@code file} and reads its header.
   *
   * @throws LoadgenException if it does not exist or cannot be read
   * @throws TraceFormatException if it is empty
   */
  public static Csv open(Path file) {
    BufferedReader reader;
    try {
      reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new LoadgenException("trace file not found: " + file);
    } catch (IOException e) {
      throw new LoadgenException("cannot read trace file " + file + ": " + e.getMessage());
    }
    try {
      return new Csv(file, reader);
    } catch (IOException e) {
      throw new LoadgenException("cannot read trace file " + file + ": " + e.getMessage());
    }
  }

  public Path file() {
    return file;
  }

  public String[] header() {
    return header.clone();
  }

  /** The index of the header column {@code name}, or -1. */
  public int column(String name) {
    for (int i = 0; i < header.length; i++) {
      if (header[i].equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /** The index of the header column {@code name}; a format error naming the header if absent. */
  public int requireColumn(String name) {
    int i = column(name);
    if (i < 0) {
      throw new TraceFormatException(file, 1, "missing column '" + name + "' in the header " + describe(header));
    }
    return i;
  }

  /** The header as {@code [a, b, c]}; a long one (a day of minute columns) shortened after 12 names. */
  static String describe(String[] header) {
    if (header.length <= 16) {
      return Arrays.toString(header);
    }
    return Arrays.toString(Arrays.copyOf(header, 12)).replace("]", ", ... (" + header.length + " columns)]");
  }

  /** The next non-blank line, or null at the end of the file. */
  public Row next() {
    try {
      String text;
      do {
        text = reader.readLine();
        line++;
        if (text == null) {
          return null;
        }
      } while (text.isBlank());
      return new Row(file, line, split(text));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      reader.close();
    } catch (IOException e) {
      // nothing left to do
    }
  }

  static String[] split(String text) {
    String[] cells = text.split(",", -1);
    for (int i = 0; i < cells.length; i++) {
      cells[i] = cells[i].trim();
    }
    return cells;
  }

  private static String stripBom(String s) {
    return s.startsWith("\uFEFF") ? s.substring(1) : s;
  }
}
