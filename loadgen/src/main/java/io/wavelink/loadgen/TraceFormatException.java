package io.wavelink.loadgen;

import java.nio.file.Path;

/** A trace file that cannot be read as its format says; the message names the file and the line. */
public final class TraceFormatException extends LoadgenException {

  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final int line;

  /**
   * @param file the trace file
   * @param line 1-based line number (the header is line 1), or 0 when the problem is the whole file
   * @param problem what is wrong, in words a user can act on
   */
  public TraceFormatException(Path file, int line, String problem) {
    super(file + (line > 0 ? ", line " + line : "") + ": " + problem);
    this.file = file;
    this.line = line;
  }

  public Path file() {
    return file;
  }

  public int line() {
    return line;
  }
}
