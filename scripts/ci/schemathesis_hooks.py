"""Schemathesis hooks for the User Activity Platform API (loaded through SCHEMATHESIS_HOOKS).

Some rules no JSON Schema can state: they compare two fields (from < to), depend on the clock (how far
in the future occurredAt may be), on the data (a cursor must be one the API issued for the same query)
or on a secret (signed receipts). The OpenAPI document lists, per operation, the rules it applies in
`x-rules-beyond-schema`, and a 400 that broke one names it in `errors[].rule`.

A "schema-valid request rejected" failure is dropped only when the answer is a 400 problem whose every
error names a rule that operation declares. Any other rejection, and every other check, still fails
the run; schemathesis reports how many failures this hook dropped.
"""
import json

import schemathesis


def _declared_rules(case):
    raw = getattr(getattr(case.operation, "definition", None), "raw", None) or {}
    return {entry.get("rule") for entry in raw.get("x-rules-beyond-schema", []) if isinstance(entry, dict)}


def _problem_errors(response):
    if response.status_code != 400:
        return None
    content_types = [v for k, vs in response.headers.items() if k.lower() == "content-type" for v in vs]
    if not any(v.startswith("application/problem+json") for v in content_types):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    return errors if isinstance(errors, list) and errors else None


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    if getattr(failure, "code", None) != "ST202":
        return True
    errors = _problem_errors(response)
    if errors is None:
        return True
    declared = _declared_rules(case)
    explained = all(isinstance(e, dict) and e.get("rule") in declared for e in errors)
    return not explained
