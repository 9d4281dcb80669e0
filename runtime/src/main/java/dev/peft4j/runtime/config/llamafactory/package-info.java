/**
 * LLaMA-Factory's YAML run files: read with SnakeYAML Engine ({@code YamlRunFile}), translated into peft4j's settings
 * as LLaMA-Factory would run them ({@link dev.peft4j.runtime.config.llamafactory.LlamaFactoryRun}), data sets named
 * through a {@code dataset_info.json} ({@code DatasetInfo}), and the translation written as a peft4j run file
 * ({@link dev.peft4j.runtime.config.llamafactory.HoconConversion}).
 */
package dev.peft4j.runtime.config.llamafactory;
