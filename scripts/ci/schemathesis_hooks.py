"""Schemathesis hooks for the User Activity Platform API (loaded through SCHEMATHESIS_HOOKS).

Some rules no JSON Schema can state: they compare two fields (from < to), depend on the clock (how far
in the future occurredAt may be), on the data (a cursor must be one the API issued for the same query)
or on a secret (signed receipts). The OpenAPI document lists, per operation, the rules it applies in
`x-rules-beyond-schema`, and a 400 that broke one names it in `errors[].rule`.

A "schema-valid request rejected" failure is dropped only when the answer is a 400 (or 422: a request that
names something that does not exist, such as a key's unknown source) problem whose every error names a rule
that operation declares, or a 412/428 that the operation documents (a conditional
request whose precondition is false or missing is answered so whatever its shape: RFC 9110 §13.1 and
RFC 6585 §3); a "schema-violating request accepted" one only when the body it calls invalid is valid
against the whole request schema (a `oneOf` branch's negation that is another branch's valid value); a
"deleted resource still available" one only when the DELETE declares `x-soft-delete` (retiring an activity
type keeps it readable, with its history). Any other rejection, and every other check, still fails the
run; schemathesis reports how many failures this hook dropped.
"""
import json

import schemathesis


def _declared_rules(case):
    raw = getattr(getattr(case.operation, "definition", None), "raw", None) or {}
    return {entry.get("rule") for entry in raw.get("x-rules-beyond-schema", []) if isinstance(entry, dict)}


def _operation_raw(case):
    return getattr(getattr(case.operation, "definition", None), "raw", None) or {}


def _soft_delete(case):
    paths = getattr(case.operation.schema, "raw_schema", {}).get("paths", {})
    return bool(paths.get(case.operation.path, {}).get("delete", {}).get("x-soft-delete"))


def _problem_errors(response):
    if response.status_code not in (400, 422):
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


def _body_is_valid(case):
    """Whether the body is valid against the operation's whole request schema, every `oneOf` branch included."""
    try:
        import jsonschema_rs

        spec = case.operation.schema.raw_schema
        path = case.operation.path.replace("~", "~0").replace("/", "~1")
        pointer = f"#/paths/{path}/{case.operation.method.lower()}/requestBody/content/application~1json/schema"
        # The whole document as the root, so its `#/components/...` references resolve; OpenAPI's own keys are
        # unknown keywords to JSON Schema and ignored.
        root = {key: value for key, value in spec.items() if key != "$schema"}
        root["$ref"] = pointer
        return jsonschema_rs.Draft202012Validator(root).is_valid(case.body)
    except Exception:  # noqa: BLE001 - a body that cannot be checked is not excused
        return False


def _negated_in_body(case):
    data = getattr(getattr(getattr(case, "_meta", None), "phase", None), "data", None)
    location = getattr(data, "parameter_location", None)
    return location is not None and str(getattr(location, "name", location)).lower() == "body"


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    code = getattr(failure, "code", None)
    # Negative bodies are made per `oneOf` branch (the ingest body has one per activity type), so a value made
    # invalid for one branch can be another branch's valid value: `type: LOGOUT` broke the SEARCH branch's enum
    # and made a valid LOGOUT event. Such a "schema-violating request accepted" is dropped only when the body
    # validates against the whole request schema; a body that is really invalid still fails the run.
    if code == "ST201":
        return not (_negated_in_body(case) and _body_is_valid(case))
    if code == "ST301":
        return not _soft_delete(case)
    if code != "ST202":
        return True
    if response.status_code in (412, 428):
        return str(response.status_code) not in _operation_raw(case).get("responses", {})
    errors = _problem_errors(response)
    if errors is None:
        return True
    declared = _declared_rules(case)
    explained = all(isinstance(e, dict) and e.get("rule") in declared for e in errors)
    return not explained


# Opaque values only the API can issue: in schema-valid cases, a random one is always refused (and the
# rest of the request never reaches the code behind it). There, a real receipt, minted once from the
# API under test, replaces the random one; a random cursor is left out (the stateful phase follows the
# NextPage links with real cursors). Schema-invalid cases keep what was generated.
_TOKEN_HEADER = "X-Consistency-Token"


def _mint_receipt():
    import os
    import urllib.request

    base, key = os.environ.get("UAP_API_BASE"), os.environ.get("UAP_API_KEY")
    if not base or not key:
        return None
    body = json.dumps({"userId": "schemathesis", "type": "LOGOUT"}).encode()
    request = urllib.request.Request(
        f"{base}/api/v1/activities",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["receipt"]


_RECEIPT = _mint_receipt()


def _is_positive(case):
    meta = getattr(case, "_meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    return getattr(mode, "is_positive", False)


def _is_stateful(case):
    phase = getattr(getattr(case, "_meta", None), "phase", None)
    return str(getattr(phase, "name", "")) == "stateful"


def _drop_write_key(case):
    # The Segment surface (/v1) also takes its key as `writeKey` in the body. A generated one is a random string
    # beside the real key the run sends in the headers, and two different keys are refused (401), so a schema-valid
    # case leaves it out and authenticates as every other operation does: by the headers, which the ignored-auth
    # check can then remove to see a 401.
    if case.operation.path.startswith("/v1/") and isinstance(case.body, dict):
        case.body.pop("writeKey", None)


@schemathesis.hook
def map_case(ctx, case):
    if _is_positive(case):
        _drop_write_key(case)
    # Stateful steps carry values from earlier responses (links): those are real already.
    if _RECEIPT is None or not _is_positive(case) or _is_stateful(case):
        return case
    if case.headers and _TOKEN_HEADER in case.headers:
        case.headers[_TOKEN_HEADER] = _RECEIPT
        # No worker runs in this check, so the read would wait out the whole allowance.
        case.headers["X-Consistency-Max-Wait-Ms"] = "0"
    if case.path_parameters and "receipt" in case.path_parameters:
        case.path_parameters["receipt"] = _RECEIPT
    if case.query and "cursor" in case.query:
        del case.query["cursor"]
    return case


@schemathesis.hook
def filter_case(ctx, case):
    # An unknown header field is not an invalid request: HTTP recipients ignore header fields they do not
    # recognize (RFC 9110, section 5.1), so "headers with an unexpected property" is not negative data.
    # Unknown query parameters stay negative data: the API refuses them.
    data = getattr(getattr(getattr(case, "_meta", None), "phase", None), "data", None)
    scenario = str(getattr(data, "scenario", ""))
    location = str(getattr(data, "parameter_location", "") or getattr(data, "location", "") or "")
    return not (scenario == "object_unexpected_properties" and "header" in location.lower())
