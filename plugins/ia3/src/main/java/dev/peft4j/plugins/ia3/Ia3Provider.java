package dev.peft4j.plugins.ia3;

import dev.peft4j.api.ApiVersion;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodProvider;
import java.util.List;

/** Registers IA³ with peft4j: the one service this jar provides. */
public final class Ia3Provider implements MethodProvider {

  @Override
  public String apiVersion() {
    return ApiVersion.CURRENT;
  }

  @Override
  public List<MethodFactory<?>> methods() {
    return List.of(new Ia3MethodFactory());
  }
}
