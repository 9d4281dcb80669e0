package dev.peft4j.method.lora;

/** How PEFT matches a target name against a module name. */
final class ModuleNames {

  private ModuleNames() {}

  /** {@code name} equals the module's full name or is a suffix of it after a dot. */
  static boolean matches(String moduleName, String name) {
    return moduleName.equals(name) || moduleName.endsWith("." + name);
  }
}
