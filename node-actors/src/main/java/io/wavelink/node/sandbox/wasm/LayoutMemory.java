package io.wavelink.node.sandbox.wasm;

import static com.dylibso.chicory.runtime.ConstantEvaluators.computeConstantValue;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;

/**
 * A linear memory that has a size but no bytes: what {@link WasmSandboxRuntime} instantiates a
 * module with when it checks that the module can be instantiated (validation on deploy, and each
 * instance start), so that the check allocates nothing for the memory the module declares. A tiny
 * module declaring 2 GiB of initial memory is thus checked in microseconds and bytes.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>Instantiation ({@link #zero} and {@link #initialize}) behaves as on a real memory of the
 *       same limits: an active data segment outside the initial memory throws {@link
 *       UninstantiableException} with the same message as {@link PagedMemory}; nothing is written.
 *   <li>No guest code runs on it (the runtime instantiates with {@code withStart(false)} and skips
 *       modules with a start section), so every read, write, growth or atomic operation throws an
 *       {@link IllegalStateException}: reaching one is a bug in the runtime, not in the guest.
 * </ul>
 */
final class LayoutMemory implements Memory {

  private final MemoryLimits limits;

  LayoutMemory(MemoryLimits limits) {
    this.limits = limits;
  }

  @Override
  public int pages() {
    return limits.initialPages();
  }

  @Override
  public int initialPages() {
    return limits.initialPages();
  }

  @Override
  public int maximumPages() {
    return Math.min(limits.maximumPages(), RUNTIME_MAX_PAGES);
  }

  @Override
  public boolean shared() {
    return limits.shared();
  }

  @Override
  public void zero() {
    // nothing to zero: the memory holds no bytes
  }

  @Override
  public void initialize(Instance instance, DataSegment[] dataSegments) {
    initialize(instance, dataSegments, 0);
  }

  @Override
  public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {
    if (dataSegments == null) {
      return;
    }
    long size = (long) pages() * PAGE_SIZE;
    for (DataSegment s : dataSegments) {
      if (s instanceof ActiveDataSegment segment) {
        if (segment.index() != memoryIndex) {
          continue;
        }
        int offset = (int) computeConstantValue(instance, segment.offsetInstructions())[0];
        int length = segment.data().length;
        if (offset < 0 || (long) offset + length > size) {
          throw new UninstantiableException(
              "out of bounds memory access: attempted to access address: "
                  + offset
                  + " but limit is: "
                  + size
                  + " and size: "
                  + length);
        }
      } else if (!(s instanceof PassiveDataSegment)) {
        throw new ChicoryException("Data segment should be active or passive: " + s);
      }
    }
  }

  private static IllegalStateException noBytes() {
    return new IllegalStateException("a layout memory holds no bytes: no guest code may run on it");
  }

  @Override
  public int grow(int size) {
    throw noBytes();
  }

  @Override
  @SuppressWarnings("removal") // still abstract in Memory
  public Object lock(int address) {
    throw noBytes();
  }

  @Override
  @SuppressWarnings("removal")
  public int waitOn(int address, int expected, long timeout) {
    throw noBytes();
  }

  @Override
  @SuppressWarnings("removal")
  public int waitOn(int address, long expected, long timeout) {
    throw noBytes();
  }

  @Override
  @SuppressWarnings("removal")
  public int notify(int address, int maxThreads) {
    throw noBytes();
  }

  @Override
  public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
    throw noBytes();
  }

  @Override
  public void write(int addr, byte[] data, int offset, int size) {
    throw noBytes();
  }

  @Override
  public byte read(int addr) {
    throw noBytes();
  }

  @Override
  public byte[] readBytes(int addr, int len) {
    throw noBytes();
  }

  @Override
  public void writeI32(int addr, int data) {
    throw noBytes();
  }

  @Override
  public int readInt(int addr) {
    throw noBytes();
  }

  @Override
  public void writeLong(int addr, long data) {
    throw noBytes();
  }

  @Override
  public long readLong(int addr) {
    throw noBytes();
  }

  @Override
  public void writeShort(int addr, short data) {
    throw noBytes();
  }

  @Override
  public short readShort(int addr) {
    throw noBytes();
  }

  @Override
  public long readU16(int addr) {
    throw noBytes();
  }

  @Override
  public void writeByte(int addr, byte data) {
    throw noBytes();
  }

  @Override
  public void writeF32(int addr, float data) {
    throw noBytes();
  }

  @Override
  public long readF32(int addr) {
    throw noBytes();
  }

  @Override
  public float readFloat(int addr) {
    throw noBytes();
  }

  @Override
  public void writeF64(int addr, double data) {
    throw noBytes();
  }

  @Override
  public double readDouble(int addr) {
    throw noBytes();
  }

  @Override
  public long readF64(int addr) {
    throw noBytes();
  }

  @Override
  public void fill(byte value, int fromIndex, int toIndex) {
    throw noBytes();
  }

  @Override
  public void drop(int segment) {
    throw noBytes();
  }

  @Override
  public String toString() {
    return "LayoutMemory[pages=" + pages() + ", maximum=" + maximumPages() + "]";
  }
}
