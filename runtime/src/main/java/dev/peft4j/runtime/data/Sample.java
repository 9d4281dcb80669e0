package dev.peft4j.runtime.data;

/** What one line of a data file holds: a conversation to learn the answers of, or a text to learn whole. */
public sealed interface Sample permits Conversation, PlainText {}
