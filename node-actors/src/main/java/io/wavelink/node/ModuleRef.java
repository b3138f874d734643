package io.wavelink.node;

import java.util.Arrays;

/**
 * Which WebAssembly module an instance runs, as the messages that start instances carry it.
 *
 * <ul>
 *   <li>{@link #stored}: the SHA-256 of the module's bytes in the module store ({@code
 *       io.wavelink.persistence.ModuleStore}) and its size. Messages then carry 64 hex digits
 *       whatever the module's size; a node fetches the bytes once and shares them between every
 *       instance of every function with that code (the node's {@code ModuleCache}).
 *   <li>{@link #inline}: the bytes themselves. Only a function deployed before the module store
 *       existed, whose journal still carries its code, starts its instances this way (its module is
 *       at most 4 MiB: the journal could not hold more); and tests that drive a Wavelet alone.
 * </ul>
 *
 * Immutable value; the inline bytes are never modified.
 *
 * @param sha256 64 lower-case hex digits; empty for inline code
 * @param sizeBytes the module's size in bytes
 * @param inlineCode the module's bytes when it is not stored; empty otherwise
 */
public record ModuleRef(String sha256, long sizeBytes, byte[] inlineCode) {

  /** No module (a spec that does not name one: refused by validation). */
  public static final ModuleRef NONE = new ModuleRef("", 0, new byte[0]);

  public ModuleRef {
    sha256 = sha256 == null ? "" : sha256;
    inlineCode = inlineCode == null ? new byte[0] : inlineCode;
  }

  /** A module in the module store. */
  public static ModuleRef stored(String sha256, long sizeBytes) {
    return new ModuleRef(sha256, sizeBytes, new byte[0]);
  }

  /** A module carried in the message itself (legacy journals, tests). */
  public static ModuleRef inline(byte[] code) {
    return new ModuleRef("", code == null ? 0 : code.length, code);
  }

  /** Whether the module is in the module store (named by its hash). */
  public boolean isStored() {
    return !sha256.isEmpty();
  }

  /** Whether no module is named: neither a hash nor any bytes. */
  public boolean isEmpty() {
    return sha256.isEmpty() && inlineCode.length == 0;
  }

  /** The same reference without inline bytes, for listings (a stored reference is unchanged). */
  public ModuleRef withoutCode() {
    return inlineCode.length == 0 ? this : new ModuleRef(sha256, sizeBytes, new byte[0]);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModuleRef m
        && sha256.equals(m.sha256)
        && sizeBytes == m.sizeBytes
        && Arrays.equals(inlineCode, m.inlineCode);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * sha256.hashCode() + Long.hashCode(sizeBytes)) + Arrays.hashCode(inlineCode);
  }

  @Override
  public String toString() {
    return isStored()
        ? "ModuleRef[sha256=" + sha256 + ", " + sizeBytes + " bytes]"
        : "ModuleRef[inline, " + inlineCode.length + " bytes]";
  }
}
