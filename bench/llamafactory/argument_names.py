"""Prints every argument name LLaMA-Factory's parser accepts: the fields of its dataclasses and of transformers'
Seq2SeqTrainingArguments, read from their sources with ast (nothing is imported)."""
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
