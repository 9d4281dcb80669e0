package dev.peft4j.method.lora;

import dev.peft4j.api.ApiVersion;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodProvider;
import java.util.List;

/** Registers LoRA with the runtime. */
public final class LoraProvider implements MethodProvider {

  @Override
  public String apiVersion() {
    return ApiVersion.CURRENT;
  }

  @Override
  public List<MethodFactory<?>> methods() {
    return List.of(new LoraMethodFactory());
  }
}
