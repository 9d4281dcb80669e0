package dev.peft4j.method.galore;

import dev.peft4j.api.ApiVersion;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodProvider;
import java.util.List;

/** Registers GaLore with the runtime. */
public final class GaloreProvider implements MethodProvider {

  @Override
  public String apiVersion() {
    return ApiVersion.CURRENT;
  }

  @Override
  public List<MethodFactory<?>> methods() {
    return List.of(new GaloreMethodFactory());
  }
}
