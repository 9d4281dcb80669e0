package dev.peft4j.runtime.rules;

import dev.peft4j.api.rules.Condition.RuntimeFact;
import java.util.Optional;

/** What the runtime knows about the device and the model before a run starts; empty when it cannot tell. */
@FunctionalInterface
public interface RunFacts {

  Optional<Boolean> get(RuntimeFact fact);
}
