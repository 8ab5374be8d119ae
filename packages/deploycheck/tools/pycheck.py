"""Helpers the node tests call in the checkers' venv: YAML/HCL to JSON, JSON-schema validation.

  pycheck.py yaml FILE            -> JSON array of the YAML documents in FILE
  pycheck.py hcl FILE             -> JSON of the HCL file (python-hcl2)
  pycheck.py schema SCHEMA DOC    -> JSON array of errors of DOC (JSON file) against SCHEMA (JSON or YAML)
"""
import json
import sys

import yaml


def load(path):
    with open(path, encoding="utf-8") as f:
        if path.endswith(".json"):
            return json.load(f)
        return yaml.safe_load(f)


def main():
    cmd, *args = sys.argv[1:]
    if cmd == "yaml":
        with open(args[0], encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        json.dump(docs, sys.stdout)
    elif cmd == "hcl":
        import hcl2

        with open(args[0], encoding="utf-8") as f:
            json.dump(hcl2.load(f), sys.stdout)
    elif cmd == "schema":
        import jsonschema

        schema = load(args[0])
        doc = load(args[1])
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        if "2019-09" in str(schema.get("$schema", "")):
            cls = jsonschema.Draft201909Validator
        errors = [
            {"path": "/".join(str(p) for p in e.absolute_path), "message": e.message[:300]}
            for e in cls(schema).iter_errors(doc)
        ]
        json.dump(errors, sys.stdout)
    else:
        raise SystemExit(f"unknown command {cmd}")


main()
