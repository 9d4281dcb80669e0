package dev.peft4j.method.badam;

import dev.peft4j.api.ApiVersion;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodProvider;
import java.util.List;

/** Registers BAdam with the runtime. */
public final class BadamProvider implements MethodProvider {

  @Override
  public String apiVersion() {
    return ApiVersion.CURRENT;
  }

  @Override
  public List<MethodFactory<?>> methods() {
    return List.of(new BadamMethodFactory());
  }
}
