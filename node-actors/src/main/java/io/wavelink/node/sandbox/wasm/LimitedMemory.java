package io.wavelink.node.sandbox.wasm;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.DataSegment;

/**
 * A guest's linear memory that remembers whether the guest asked to grow it beyond its maximum (the
 * function's memory limit), so that a failure after a refused {@code memory.grow} can be reported
 * as a memory error rather than as the trap or exit the guest ended with.
 *
 * <p>Everything else is delegated unchanged to the wrapped memory. Used by one invocation, on one
 * thread.
 */
final class LimitedMemory implements Memory {

  private final ByteArrayMemory delegate;
  private int refusedGrowthPages;

  LimitedMemory(ByteArrayMemory delegate) {
    this.delegate = delegate;
  }

  /**
   * Pages the guest asked for in its largest refused {@code memory.grow}; 0 if none was refused.
   */
  int refusedGrowthPages() {
    return refusedGrowthPages;
  }

  @Override
  public int grow(int pages) {
    int previous = delegate.grow(pages);
    if (previous == -1) {
      refusedGrowthPages = Math.max(refusedGrowthPages, pages);
    }
    return previous;
  }

  @Override
  @SuppressWarnings("removal") // still abstract in Memory, so it must be delegated
  public Object lock(int addr) {
    return delegate.lock(addr);
  }

  @Override
  @SuppressWarnings("removal") // still abstract in Memory, so it must be delegated
  public int waitOn(int addr, int expected, long timeout) {
    return delegate.waitOn(addr, expected, timeout);
  }

  @Override
  @SuppressWarnings("removal") // still abstract in Memory, so it must be delegated
  public int waitOn(int addr, long expected, long timeout) {
    return delegate.waitOn(addr, expected, timeout);
  }

  @Override
  @SuppressWarnings("removal") // still abstract in Memory, so it must be delegated
  public int notify(int addr, int maxWaiters) {
    return delegate.notify(addr, maxWaiters);
  }

  @Override
  public int pages() {
    return delegate.pages();
  }

  @Override
  public int initialPages() {
    return delegate.initialPages();
  }

  @Override
  public int maximumPages() {
    return delegate.maximumPages();
  }

  @Override
  public boolean shared() {
    return delegate.shared();
  }

  @Override
  public void initialize(Instance instance, DataSegment[] segments) {
    delegate.initialize(instance, segments);
  }

  @Override
  public void initialize(Instance instance, DataSegment[] segments, int memoryIndex) {
    delegate.initialize(instance, segments, memoryIndex);
  }

  @Override
  public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
    delegate.initPassiveSegment(segmentId, dest, offset, size);
  }

  @Override
  public void write(int addr, byte[] data, int offset, int size) {
    delegate.write(addr, data, offset, size);
  }

  @Override
  public byte read(int addr) {
    return delegate.read(addr);
  }

  @Override
  public byte[] readBytes(int addr, int len) {
    return delegate.readBytes(addr, len);
  }

  @Override
  public void writeI32(int addr, int value) {
    delegate.writeI32(addr, value);
  }

  @Override
  public int readInt(int addr) {
    return delegate.readInt(addr);
  }

  @Override
  public void writeLong(int addr, long value) {
    delegate.writeLong(addr, value);
  }

  @Override
  public long readLong(int addr) {
    return delegate.readLong(addr);
  }

  @Override
  public void writeShort(int addr, short value) {
    delegate.writeShort(addr, value);
  }

  @Override
  public short readShort(int addr) {
    return delegate.readShort(addr);
  }

  @Override
  public long readU16(int addr) {
    return delegate.readU16(addr);
  }

  @Override
  public void writeByte(int addr, byte value) {
    delegate.writeByte(addr, value);
  }

  @Override
  public void writeF32(int addr, float value) {
    delegate.writeF32(addr, value);
  }

  @Override
  public long readF32(int addr) {
    return delegate.readF32(addr);
  }

  @Override
  public float readFloat(int addr) {
    return delegate.readFloat(addr);
  }

  @Override
  public void writeF64(int addr, double value) {
    delegate.writeF64(addr, value);
  }

  @Override
  public double readDouble(int addr) {
    return delegate.readDouble(addr);
  }

  @Override
  public long readF64(int addr) {
    return delegate.readF64(addr);
  }

  @Override
  public void zero() {
    delegate.zero();
  }

  @Override
  public void fill(byte value, int fromIndex, int toIndex) {
    delegate.fill(value, fromIndex, toIndex);
  }

  @Override
  public void copy(int dest, int src, int size) {
    delegate.copy(dest, src, size);
  }

  @Override
  public void drop(int segment) {
    delegate.drop(segment);
  }

  @Override
  public void atomicFence() {
    delegate.atomicFence();
  }

  @Override
  public byte atomicAddByte(int addr, byte value) {
    return delegate.atomicAddByte(addr, value);
  }

  @Override
  public int atomicAddInt(int addr, int value) {
    return delegate.atomicAddInt(addr, value);
  }

  @Override
  public long atomicAddLong(int addr, long value) {
    return delegate.atomicAddLong(addr, value);
  }

  @Override
  public short atomicAddShort(int addr, short value) {
    return delegate.atomicAddShort(addr, value);
  }

  @Override
  public byte atomicAndByte(int addr, byte value) {
    return delegate.atomicAndByte(addr, value);
  }

  @Override
  public int atomicAndInt(int addr, int value) {
    return delegate.atomicAndInt(addr, value);
  }

  @Override
  public long atomicAndLong(int addr, long value) {
    return delegate.atomicAndLong(addr, value);
  }

  @Override
  public short atomicAndShort(int addr, short value) {
    return delegate.atomicAndShort(addr, value);
  }

  @Override
  public byte atomicCmpxchgByte(int addr, byte expected, byte replacement) {
    return delegate.atomicCmpxchgByte(addr, expected, replacement);
  }

  @Override
  public int atomicCmpxchgInt(int addr, int expected, int replacement) {
    return delegate.atomicCmpxchgInt(addr, expected, replacement);
  }

  @Override
  public long atomicCmpxchgLong(int addr, long expected, long replacement) {
    return delegate.atomicCmpxchgLong(addr, expected, replacement);
  }

  @Override
  public short atomicCmpxchgShort(int addr, short expected, short replacement) {
    return delegate.atomicCmpxchgShort(addr, expected, replacement);
  }

  @Override
  public byte atomicOrByte(int addr, byte value) {
    return delegate.atomicOrByte(addr, value);
  }

  @Override
  public int atomicOrInt(int addr, int value) {
    return delegate.atomicOrInt(addr, value);
  }

  @Override
  public long atomicOrLong(int addr, long value) {
    return delegate.atomicOrLong(addr, value);
  }

  @Override
  public short atomicOrShort(int addr, short value) {
    return delegate.atomicOrShort(addr, value);
  }

  @Override
  public byte atomicReadByte(int addr) {
    return delegate.atomicReadByte(addr);
  }

  @Override
  public int atomicReadInt(int addr) {
    return delegate.atomicReadInt(addr);
  }

  @Override
  public long atomicReadLong(int addr) {
    return delegate.atomicReadLong(addr);
  }

  @Override
  public short atomicReadShort(int addr) {
    return delegate.atomicReadShort(addr);
  }

  @Override
  public void atomicWriteByte(int addr, byte value) {
    delegate.atomicWriteByte(addr, value);
  }

  @Override
  public void atomicWriteInt(int addr, int value) {
    delegate.atomicWriteInt(addr, value);
  }

  @Override
  public void atomicWriteLong(int addr, long value) {
    delegate.atomicWriteLong(addr, value);
  }

  @Override
  public void atomicWriteShort(int addr, short value) {
    delegate.atomicWriteShort(addr, value);
  }

  @Override
  public byte atomicXchgByte(int addr, byte value) {
    return delegate.atomicXchgByte(addr, value);
  }

  @Override
  public int atomicXchgInt(int addr, int value) {
    return delegate.atomicXchgInt(addr, value);
  }

  @Override
  public long atomicXchgLong(int addr, long value) {
    return delegate.atomicXchgLong(addr, value);
  }

  @Override
  public short atomicXchgShort(int addr, short value) {
    return delegate.atomicXchgShort(addr, value);
  }

  @Override
  public byte atomicXorByte(int addr, byte value) {
    return delegate.atomicXorByte(addr, value);
  }

  @Override
  public int atomicXorInt(int addr, int value) {
    return delegate.atomicXorInt(addr, value);
  }

  @Override
  public long atomicXorLong(int addr, long value) {
    return delegate.atomicXorLong(addr, value);
  }

  @Override
  public short atomicXorShort(int addr, short value) {
    return delegate.atomicXorShort(addr, value);
  }
}
