package dev.peft4j.api;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.peft4j.api.model.ModelView;
import java.util.Set;
import org.apiguardian.api.API;

/** Decides which existing parameters train: Freeze (some layers), {@code full} (all of them). */
@API(status = EXPERIMENTAL, since = "0.1")
public interface ParameterSelector extends PeftMethod {

  /** The dotted Hugging Face names of the parameters that train; every other parameter is frozen. */
  Set<String> trainable(ModelView model);
}
