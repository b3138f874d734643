package io.wavelink.function.internal;

import org.apache.pekko.actor.ActorPath;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.RootActorPath;
import org.apache.pekko.actor.typed.ActorRef;

/** An actor ref that only has a name: messages to it are recorded by {@link FakeOutbox}, never sent. */
final class FakeRef<T> implements ActorRef<T> {

  private final ActorPath path;

  FakeRef(String name) {
    this.path = new RootActorPath(new Address("pekko", "test"), "/").$div(name);
  }

  @Override
  public void tell(T msg) {
    throw new UnsupportedOperationException("FakeOutbox records messages; nothing is sent to " + path);
  }

  @Override
  @SuppressWarnings("unchecked")
  public <U extends T> ActorRef<U> narrow() {
    return (ActorRef<U>) this;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <U> ActorRef<U> unsafeUpcast() {
    return (ActorRef<U>) this;
  }

  @Override
  public ActorPath path() {
    return path;
  }

  @Override
  public int compareTo(ActorRef<?> other) {
    return path.compareTo(other.path());
  }

  @Override
  public String toString() {
    return "FakeRef(" + path.name() + ")";
  }
}
