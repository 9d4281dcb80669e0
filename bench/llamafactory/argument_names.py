"""Prints every argument name LLaMA-Factory's parser accepts: the fields of its dataclasses and of transformers'
Seq2SeqTrainingArguments, read from their sources with ast (nothing is imported). From the repository's root:
  python bench/llamafactory/argument_names.py SITE_PACKAGES \
    > runtime/src/main/resources/dev/peft4j/runtime/config/llamafactory/argument-names.txt
(SITE_PACKAGES holds llamafactory 0.9.5 and transformers 4.57, e.g. from pip install llamafactory==0.9.5 --no-deps)."""
import ast, pathlib, sys
site = pathlib.Path(sys.argv[1])
files = [site / "llamafactory/hparams" / f for f in
         ("model_args.py", "data_args.py", "finetuning_args.py", "generating_args.py", "training_args.py")]
files += [site / "transformers/training_args.py", site / "transformers/training_args_seq2seq.py"]
names = set()
for file in files:
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.ClassDef) and any(isinstance(d, ast.Name) and d.id == "dataclass" or
                                                  isinstance(d, ast.Call) and getattr(d.func, "id", "") == "dataclass"
                                                  for d in node.decorator_list):
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    init = True
                    if isinstance(item.value, ast.Call):
                        for kw in item.value.keywords:
                            if kw.arg == "init" and isinstance(kw.value, ast.Constant) and kw.value.value is False:
                                init = False
                    if init and not item.target.id.startswith("_"):
                        names.add(item.target.id)
print("\n".join(sorted(names)))
