package dev.peft4j.runtime;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.peft4j.api.AdapterMethod;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.runtime.config.CoreSettings.DataFormat;
import dev.peft4j.runtime.config.CoreSettings.TemplateName;
import dev.peft4j.runtime.data.ChatTemplate;
import dev.peft4j.runtime.data.Role;
import dev.peft4j.runtime.data.Turn;
import dev.peft4j.runtime.generate.Evaluation;
import dev.peft4j.runtime.generate.Generator;
import dev.peft4j.runtime.io.AdapterFiles;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelFiles;
import dev.peft4j.runtime.model.ModuleModelView;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.setup.Adapters;
import dev.peft4j.runtime.setup.MethodSetup;
import dev.peft4j.runtime.setup.RuntimeMethodContext;
import dev.peft4j.runtime.tokenizer.Tokenizer;
import dev.peft4j.runtime.train.FiniteWeights;
import dev.peft4j.runtime.validate.ValidationReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apiguardian.api.API;

/**
 * A model folder loaded for use from code, by {@link Peft4j#loadModel}: it answers prompts ({@link #generate}),
 * scores held-out answers ({@link #evaluate}), and takes methods ({@link #apply}) whose adapter it saves in PEFT's
 * layout ({@link #saveAdapter}). Closing it frees the model's native memory.
 *
 * <pre>{@code
 * try (LoadedModel model = peft4j.loadModel(Path.of("model"), Optional.of(Path.of("out/adapter")))) {
 *   String answer = model.generate("What is 2 + 3?", Generator.Sampling.greedy(16));
 * }
 * }</pre>
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class LoadedModel implements AutoCloseable {

  private final Peft4j peft4j;
  private final Path folder;
  private final CausalLm model;
  private final Tokenizer tokenizer;
  private final NDManager manager;
  private final Set<String> baseNames;
  private final List<PeftMethod> methods = new ArrayList<>();
  private AdapterMethod adapter;

  private LoadedModel(Peft4j peft4j, Path folder, CausalLm model, Tokenizer tokenizer, NDManager manager) {
    this.peft4j = peft4j;
    this.folder = folder;
    this.model = model;
    this.tokenizer = tokenizer;
    this.manager = manager;
    this.baseNames = Set.copyOf(model.namedParameters().keySet());
  }

  /**
   * Loads {@code folder} in {@code precision}, with the saved adapter in {@code adapter} attached when given.
   *
   * @param withTokenizer whether to load the tokenizer (a merge needs none; then {@link #tokenizer()} is null)
   */
  static LoadedModel load(Peft4j peft4j, Path folder, Optional<Path> adapter, Precision precision,
      boolean withTokenizer) {
    Engine engine = Engine.getEngine("PyTorch");
    NDManager manager = engine.newBaseManager(engine.defaultDevice());
    Tokenizer tokenizer = null;
    try {
      tokenizer = withTokenizer ? Tokenizer.load(folder) : null;
      LoadedModel loaded = new LoadedModel(peft4j, folder, ModelFiles.load(folder, manager, precision), tokenizer,
          manager);
      if (adapter.isPresent()) {
        loaded.adapter = Adapters.attach(adapter.get(), loaded.model, peft4j.discovery(), manager);
        loaded.methods.add(loaded.adapter);
      }
      return loaded;
    } catch (RuntimeException e) {
      if (tokenizer != null) {
        tokenizer.close();
      }
      manager.close();
      throw e;
    }
  }

  /** The answer to one user turn, through the model's own chat template, without it. */
  public String generate(String prompt, Generator.Sampling sampling) {
    return generate(prompt, sampling, TemplateName.MODEL);
  }

  /**
   * The answer to one user turn through {@code template}: the model's own, or the one of LLaMA-Factory's that
   * training used ({@code data.template}); generation stops at the end-of-answer token that template trains.
   *
   * @throws dev.peft4j.runtime.data.ChatTemplateException when the named template is for another model family
   */
  public String generate(String prompt, Generator.Sampling sampling, TemplateName template) {
    ChatTemplate chat = ChatTemplate.of(tokenizer(), template);
    return complete(chat.encodePrompt(List.of(new Turn(Role.USER, prompt))), ChatTemplate.answerEnd(chat, tokenizer),
        sampling);
  }

  /** The continuation of {@code text} as it is, without a chat template. */
  public String continueText(String text, Generator.Sampling sampling) {
    return complete(tokenizer().encode(text), tokenizer().eosId(), sampling);
  }

  private String complete(int[] ids, int eosId, Generator.Sampling sampling) {
    int[] answer = new Generator(model, manager).generate(List.of(ids), eosId, sampling,
        tokens -> tokenizer.decode(tokens, true)).get(0);
    return sampling.cut(tokenizer.decode(answer, true));
  }

  /**
   * Held-out exact match ({@code peft4j evaluate}): the model answers each prompt of {@code data} greedily, and an
   * answer counts when it equals the reference (whitespace trimmed).
   *
   * @param limit at most this many examples
   */
  public Evaluation.Answers evaluate(Path data, DataFormat format, int limit, int maxNewTokens) {
    return Evaluation.exactMatch(model, tokenizer(), manager, data, format, limit, maxNewTokens);
  }

  /**
   * {@link #evaluate(Path, DataFormat, int, int)} with {@code batchSize} prompts decoded together, {@code progress}
   * told after each batch.
   */
  public Evaluation.Answers evaluate(Path data, DataFormat format, int limit, int maxNewTokens, int batchSize,
      Evaluation.Progress progress) {
    return evaluate(data, format, limit, maxNewTokens, batchSize, progress, TemplateName.MODEL);
  }

  /** {@link #evaluate(Path, DataFormat, int, int, int, Evaluation.Progress)} through chat template {@code template}. */
  public Evaluation.Answers evaluate(Path data, DataFormat format, int limit, int maxNewTokens, int batchSize,
      Evaluation.Progress progress, TemplateName template) {
    return Evaluation.exactMatch(model, tokenizer(), manager, data, format, limit, maxNewTokens, batchSize, progress,
        template);
  }

  /**
   * Applies the methods a run configuration chooses (its {@code methods} and their blocks, with or without the
   * {@code peft4j.} prefix; {@code model.path} is this model's folder), validated as {@code peft4j validate}
   * validates them: {@code methods = [lora], lora.rank = 16}. Every base weight is frozen first.
   *
   * @throws dev.peft4j.api.config.ConfigurationException when the settings are wrong or break a rule
   * @throws IllegalStateException when an adapter is attached already
   */
  public LoadedModel apply(com.typesafe.config.Config settings) {
    if (!methods.isEmpty()) {
      throw new IllegalStateException("methods are applied to this model already: load it again to apply others");
    }
    com.typesafe.config.Config user = settings.root().containsKey("peft4j") ? settings : settings.root().atKey("peft4j");
    ValidationReport report = peft4j.validate(user.withValue("peft4j.model.path",
        com.typesafe.config.ConfigValueFactory.fromAnyRef(folder.toString(), "the loaded model"))).orThrow();
    MethodSetup.Created created = MethodSetup.create(report, peft4j.discovery(),
        new RuntimeMethodContext(manager, report.core().training().seed()));
    methods.addAll(created.methods());
    MethodSetup.apply(created, new ModuleModelView(model));
    adapter = created.methods().stream().filter(AdapterMethod.class::isInstance).map(AdapterMethod.class::cast)
        .findFirst().orElse(null);
    return this;
  }

  /**
   * Writes the adapter (attached or {@link #apply applied}) as PEFT's folder: {@code adapter_config.json} and
   * {@code adapter_model.safetensors}, atomically.
   *
   * @throws IllegalStateException when the model has no adapter
   */
  public Path saveAdapter(Path out) {
    if (adapter == null) {
      throw new IllegalStateException("the model has no adapter to save: apply an adapter method first");
    }
    var state = adapter.state();
    FiniteWeights.require(state.tensors(), "writing the adapter " + out);
    AdapterFiles.write(out, state, folder.toString());
    return out;
  }

  /**
   * Folds the attached adapter into the base weights and writes the merged model as a Hugging Face folder
   * ({@code peft4j merge}), in the base's dtype.
   */
  Path merge(Path out) {
    if (adapter == null) {
      throw new IllegalStateException("the model has no adapter to merge");
    }
    adapter.merge(true);
    ModelFiles.save(model, out, folder, baseNames, ModelFiles.weightsDtype(folder));
    return out;
  }

  /** The model itself: its parameters, its forward pass. */
  public CausalLm model() {
    return model;
  }

  public Tokenizer tokenizer() {
    if (tokenizer == null) {
      throw new IllegalStateException("the model was loaded without its tokenizer");
    }
    return tokenizer;
  }

  /** The engine memory the model's arrays live in. */
  public NDManager manager() {
    return manager;
  }

  @Override
  public void close() {
    try {
      methods.forEach(PeftMethod::close);
      if (tokenizer != null) {
        tokenizer.close();
      }
    } finally {
      manager.close();
    }
  }
}
