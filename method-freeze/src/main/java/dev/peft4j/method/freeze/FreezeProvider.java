package dev.peft4j.method.freeze;

import dev.peft4j.api.ApiVersion;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodProvider;
import java.util.List;

/** Registers the two selectors: {@code freeze} and {@code full}. */
public final class FreezeProvider implements MethodProvider {

  @Override
  public String apiVersion() {
    return ApiVersion.CURRENT;
  }

  @Override
  public List<MethodFactory<?>> methods() {
    return List.of(new FreezeMethodFactory(), new FullMethodFactory());
  }
}
