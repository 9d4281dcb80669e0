package dev.peft4j.method.badam;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.ApiVersion;
import dev.peft4j.api.MethodProvider;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class BadamProviderTest {

  private static MethodProvider loaded() {
    List<MethodProvider> providers = ServiceLoader.load(MethodProvider.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(BadamProvider.class::isInstance)
        .toList();
    assertThat(providers).as("BadamProvider registered in META-INF/services").hasSize(1);
    return providers.get(0);
  }

  @Test
  void isFoundByTheServiceLoaderAndReportsTheCurrentApiVersion() {
    assertThat(loaded().apiVersion()).isEqualTo(ApiVersion.CURRENT);
  }

  @Test
  void providesBadamOnly() {
    assertThat(loaded().methods()).extracting(m -> m.descriptor().id()).containsExactly("badam");
  }

  @Test
  void theReferenceConfDefinesTheMethodsBlock() {
    String path = loaded().methods().get(0).descriptor().configPath();

    assertThat(path).isEqualTo("peft4j.badam");
    assertThat(ConfigFactory.defaultReference().hasPath(path)).isTrue();
  }
}
