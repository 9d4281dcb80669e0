package dev.peft4j.method.freeze;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.ApiVersion;
import dev.peft4j.api.MethodProvider;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class FreezeProviderTest {

  private static MethodProvider loaded() {
    List<MethodProvider> providers = ServiceLoader.load(MethodProvider.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(FreezeProvider.class::isInstance)
        .toList();
    assertThat(providers).as("FreezeProvider registered in META-INF/services").hasSize(1);
    return providers.get(0);
  }

  @Test
  void isFoundByTheServiceLoaderAndReportsTheCurrentApiVersion() {
    assertThat(loaded().apiVersion()).isEqualTo(ApiVersion.CURRENT);
  }

  @Test
  void providesFreezeAndFull() {
    assertThat(loaded().methods()).extracting(m -> m.descriptor().id()).containsExactly("freeze", "full");
  }

  @Test
  void theReferenceConfDefinesABlockForEachMethod() {
    assertThat(loaded().methods()).extracting(m -> m.descriptor().configPath())
        .containsExactly("peft4j.freeze", "peft4j.full")
        .allSatisfy(path -> assertThat(ConfigFactory.defaultReference().hasPath(path)).as(path).isTrue());
  }
}
