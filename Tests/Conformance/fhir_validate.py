"""Validates FHIR JSON with an implementation nobody here wrote: the `fhir.resources` package's R4B models
(pydantic; R4B shares R4's Observation, Encounter, RiskAssessment, Bundle, OperationOutcome and
CapabilityStatement). Reads one JSON resource per file named on the command line, checks it against the model
its resourceType names (a Bundle's entries with it) and prints, per file, "ok <resourceType>" or
"invalid <resourceType>: <errors>"; exits 1 if any file is invalid.

usage: python fhir_validate.py FILE...
"""
import importlib
import json
import sys

from pydantic import ValidationError


def model(resource_type):
    module = importlib.import_module(f"fhir.resources.R4B.{resource_type.lower()}")
    return getattr(module, resource_type)


def main(paths):
    failed = False
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            resource = json.load(handle)
        kind = resource.get("resourceType", "?")
        try:
            model(kind).model_validate(resource)
            print(f"ok {kind}")
        except (ValidationError, ModuleNotFoundError, AttributeError) as error:
            failed = True
            print(f"invalid {kind}: {' '.join(str(error).split())}")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
