#!/usr/bin/env python3
"""Offline checks of template.yaml.

    python3 scripts/check_template.py [TEMPLATE]           # SAM transform; one-line summary
    python3 scripts/check_template.py --routes [TEMPLATE]  # JSON list of the HTTP API routes
    python3 scripts/check_template.py --catalogue [TEMPLATE]  # JSON: rules, schedules, streams

The transform runs aws-sam-translator with no AWS access: a managed-policy loader that
returns {} (the default one calls IAM), a placeholder s3:// CodeUri for functions built from
local code, and AWS_DEFAULT_REGION=us-east-1 when no region is set.

Besides the transform it checks what the Rust side relies on: every function runs one of the
stack's four binaries with that binary's Metadata (one build per binary), names itself in
Environment HOSPITAL_FUNCTION and has its log group (<Function>LogGroup), every HttpApi event is
attached to the template's API (ApiId) and no route is declared twice. A function without a CodeUri of its
own (the template sets the Cargo workspace in Globals) gets the placeholder as well.

--routes prints, sorted by (function, path, method):
    [{"function": "meta", "method": "GET", "path": "/v1/health", "public": true}, ...]
"public" is true when the event sets Auth.Authorizer to NONE (everything else uses the API's
default JWT authorizer). The transform still runs first, so a broken template fails here too.

Exit status: 0 on success, 1 on a failed check, 2 when the tools are missing or the
arguments are wrong.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_CODE_URI = "s3://bucket/key"
SERVERLESS_FUNCTION = "AWS::Serverless::Function"


class CheckError(Exception):
    pass


def fail(message: str, status: int = 1) -> None:
    print(f"check_template: {message}", file=sys.stderr)
    sys.exit(status)


def load_template(path: Path) -> dict[str, Any]:
    try:
        from samtranslator.yaml_helper import yaml_parse
    except ImportError:
        fail(
            "aws-sam-translator is not installed "
            "(pip install aws-sam-translator, or run scripts/test.sh)",
            2,
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        fail(f"cannot read {path}: {e}", 2)
    try:
        template = yaml_parse(text)
    except Exception as e:  # yaml errors carry the line and column
        raise CheckError(f"{path.name} is not valid YAML: {e}") from e
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise CheckError(f"{path.name} has no Resources mapping")
    return template


class StubPolicyLoader:
    """Stands in for samtranslator's ManagedPolicyLoader, which lists IAM policies."""

    def load(self) -> dict[str, str]:
        return {}


def with_placeholder_code(template: dict[str, Any]) -> dict[str, Any]:
    """A copy where every function built from local code points at a placeholder S3 object,
    as `sam package` would leave it."""
    template = copy.deepcopy(template)
    for resource in template["Resources"].values():
        if not isinstance(resource, dict) or resource.get("Type") != SERVERLESS_FUNCTION:
            continue
        props = resource.setdefault("Properties", {})
        code_uri = props.get("CodeUri")
        is_local = code_uri is None or (
            isinstance(code_uri, str) and not code_uri.startswith("s3://")
        )
        if is_local and "InlineCode" not in props and "ImageUri" not in props:
            props["CodeUri"] = PLACEHOLDER_CODE_URI
    return template


def transform(template: dict[str, Any]) -> dict[str, Any]:
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1"))
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform as sam_transform

    try:
        return sam_transform(with_placeholder_code(template), {}, StubPolicyLoader())
    except InvalidDocumentException as e:
        causes = "; ".join(str(c.message) for c in e.causes) or str(e)
        raise CheckError(f"SAM transform failed: {causes}") from e
    except Exception as e:
        raise CheckError(f"SAM transform failed: {type(e).__name__}: {e}") from e


# The stack's binaries (hospital_api::registry::BINARIES): one build each.
BINARIES = ("hospital", "hospital-automation", "hospital-mail", "hospital-reports")


def build_of(binary: str) -> dict[str, Any]:
    return {"BuildMethod": "rust-cargolambda", "BuildProperties": {"Binary": binary}}


def functions(template: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Logical id → (function name, properties) of every AWS::Serverless::Function.

    Every function runs one of the stack's binaries with that binary's Metadata (so that
    `sam build` builds each binary once, see docs/deploy.md) and names itself in
    HOSPITAL_FUNCTION; none overrides the CodeUri, runtime or architecture of Globals (that
    would make a build of its own)."""
    found = {}
    for logical_id, resource in template["Resources"].items():
        if not isinstance(resource, dict) or resource.get("Type") != SERVERLESS_FUNCTION:
            continue
        metadata = resource.get("Metadata") or {}
        if not any(metadata == build_of(b) for b in BINARIES):
            raise CheckError(
                f"{logical_id}: Metadata must be exactly {build_of('<binary>')} with one of {BINARIES}"
            )
        props = resource.get("Properties") or {}
        for shared in ("CodeUri", "Runtime", "Architectures"):
            if shared in props:
                raise CheckError(f"{logical_id}: {shared} comes from Globals (one build per binary)")
        name = ((props.get("Environment") or {}).get("Variables") or {}).get("HOSPITAL_FUNCTION")
        if not isinstance(name, str) or not name:
            raise CheckError(f"{logical_id}: Environment.Variables.HOSPITAL_FUNCTION is missing")
        log_group = template["Resources"].get(f"{logical_id}LogGroup")
        if not (isinstance(log_group, dict) and log_group.get("Type") == "AWS::Logs::LogGroup"):
            raise CheckError(f"{logical_id}: no AWS::Logs::LogGroup {logical_id}LogGroup")
        found[logical_id] = (name, props)
    if not found:
        raise CheckError("no AWS::Serverless::Function in the template")
    return found


def routes(template: dict[str, Any]) -> list[dict[str, Any]]:
    apis = {
        logical_id
        for logical_id, r in template["Resources"].items()
        if isinstance(r, dict) and r.get("Type") == "AWS::Serverless::HttpApi"
    }
    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], str] = {}
    for logical_id, (name, props) in functions(template).items():
        for event_id, event in (props.get("Events") or {}).items():
            if not isinstance(event, dict) or event.get("Type") != "HttpApi":
                continue
            where = f"{logical_id}.Events.{event_id}"
            ev = event.get("Properties") or {}
            method, path = ev.get("Method"), ev.get("Path")
            if not isinstance(method, str) or not isinstance(path, str):
                raise CheckError(f"{where}: Method and Path must be plain strings")
            api = ev.get("ApiId")
            if not (isinstance(api, dict) and api.get("Ref") in apis):
                raise CheckError(f"{where}: ApiId must be !Ref to the template's HttpApi")
            method = method.upper()
            key = (method, path)
            if key in seen:
                raise CheckError(f"{where}: {method} {path} is already declared by {seen[key]}")
            seen[key] = where
            authorizer = (ev.get("Auth") or {}).get("Authorizer")
            out.append(
                {
                    "function": name,
                    "method": method,
                    "path": path,
                    "public": authorizer == "NONE",
                }
            )
    out.sort(key=lambda r: (r["function"], r["path"], r["method"]))
    return out


def catalogue(template: dict[str, Any]) -> dict[str, Any]:
    """The event routes and schedules the template declares, per function:
    {"rules": [{"function", "bus", "source", "detail_types"}],
     "schedules": [{"function", "expression", "timezone", "flexible"}],
     "streams": [{"function", "filters"}]}; every one must have a dead-letter destination."""
    out: dict[str, list[dict[str, Any]]] = {"rules": [], "schedules": [], "streams": []}
    for logical_id, (name, props) in functions(template).items():
        invoke = props.get("EventInvokeConfig") or {}
        for event_id, event in (props.get("Events") or {}).items():
            kind = event.get("Type")
            ev = event.get("Properties") or {}
            where = f"{logical_id}.Events.{event_id}"
            if kind in ("EventBridgeRule", "ScheduleV2"):
                if not (ev.get("DeadLetterConfig") or {}).get("Arn"):
                    raise CheckError(f"{where}: no dead-letter queue")
                if not ((invoke.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"):
                    raise CheckError(f"{logical_id}: no on-failure destination for its invocations")
            if kind == "EventBridgeRule":
                pattern = ev.get("Pattern") or {}
                out["rules"].append({
                    "function": name,
                    "bus": (ev.get("EventBusName") or {}).get("Ref"),
                    "source": pattern.get("source"),
                    "detail_types": pattern.get("detail-type"),
                })
            elif kind == "ScheduleV2":
                out["schedules"].append({
                    "function": name,
                    "expression": ev.get("ScheduleExpression"),
                    "timezone": (ev.get("ScheduleExpressionTimezone") or {}).get("Ref"),
                    "flexible": (ev.get("FlexibleTimeWindow") or {}).get("Mode"),
                })
            elif kind == "DynamoDB":
                if not ((ev.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"):
                    raise CheckError(f"{where}: no on-failure destination")
                out["streams"].append({
                    "function": name,
                    "filters": [f.get("Pattern") for f in (ev.get("FilterCriteria") or {}).get("Filters", [])],
                    "bisect": ev.get("BisectBatchOnFunctionError"),
                })
    for v in out.values():
        v.sort(key=lambda r: r["function"])
    return out


def main(argv: list[str]) -> int:
    args = list(argv)
    want_routes = "--routes" in args
    want_catalogue = "--catalogue" in args
    args = [a for a in args if a not in ("--routes", "--catalogue")]
    if any(a in ("-h", "--help") for a in args):
        print(__doc__)
        return 0
    if len(args) > 1 or any(a.startswith("-") for a in args):
        fail(f"usage: {Path(sys.argv[0]).name} [--routes] [TEMPLATE]", 2)
    path = Path(args[0]) if args else ROOT / "template.yaml"

    try:
        template = load_template(path)
        table = routes(template)
        declared = catalogue(template)
        output = transform(template)
    except CheckError as e:
        fail(f"{path}: {e}")

    if want_catalogue:
        print(json.dumps(declared, indent=2))
        return 0
    if want_routes:
        print(json.dumps(table, indent=2))
        return 0
    resources = output.get("Resources", {})
    n_functions = sum(1 for r in resources.values() if r.get("Type") == "AWS::Lambda::Function")
    print(
        f"template OK: {path.name} transforms to {len(resources)} CloudFormation resources "
        f"({n_functions} functions, {len(table)} routes, "
        f"{sum(1 for r in table if r['public'])} public)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
