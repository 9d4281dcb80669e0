package dev.peft4j.runtime.inject;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.Stage;
import com.google.inject.TypeLiteral;
import dev.peft4j.runtime.plugin.DiscoveredMethod;
import dev.peft4j.runtime.testing.Runs;
import dev.peft4j.runtime.validate.RunValidator;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Peft4jModuleTest {

  @Test
  void oneProductionInjectorHoldsEveryMethodByIdAndTheValidator() {
    Injector injector = Guice.createInjector(Stage.PRODUCTION, new Peft4jModule(Runs.discovery()));

    Map<String, DiscoveredMethod> methods = injector.getInstance(Key.get(new TypeLiteral<Map<String, DiscoveredMethod>>() {}));

    assertThat(methods).containsOnlyKeys("lora", "galore", "badam", "freeze", "full");
    assertThat(methods.get("galore").descriptor().id()).isEqualTo("galore");
    assertThat(injector.getInstance(RunValidator.class)).isNotNull();
  }
}
