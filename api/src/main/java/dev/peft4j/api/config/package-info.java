/**
 * Reading a method's settings from its block of the run file: {@link dev.peft4j.api.config.SettingsReader}
 * collects every problem with its file, line and key ({@link dev.peft4j.api.config.SettingProblem}) instead of stopping
 * at the first, and suggests the closest name for a typo ({@link dev.peft4j.api.config.Suggestions}).
 */
package dev.peft4j.api.config;
