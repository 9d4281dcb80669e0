package dev.peft4j.runtime.nn;

import java.util.List;

/** Children named 0, 1, 2…, as {@code torch.nn.ModuleList}. */
public final class ModuleList extends Module {

  public ModuleList(List<? extends Module> modules) {
    for (int i = 0; i < modules.size(); i++) {
      add(String.valueOf(i), modules.get(i));
    }
  }

  public int size() {
    return children().size();
  }

  public Module get(int index) {
    return child(String.valueOf(index));
  }
}
