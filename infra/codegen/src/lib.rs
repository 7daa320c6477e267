//! What derives from the function registry ([`hospital_api::registry`]), written to files that
//! people read and tools load:
//!
//! - `template.yaml`, between its `BEGIN GENERATED FUNCTIONS` / `END GENERATED FUNCTIONS`
//!   lines: one `AWS::Serverless::Function` per function (the one `hospital` binary, its
//!   `HOSPITAL_FUNCTION`, its least-privilege policy, one HttpApi event per route) and its log
//!   group;
//! - `events/<function>/<operation>.json`: an API Gateway HTTP API (v2) event per route, built
//!   from one base event, for `sam local invoke` and the tests that replay them.
//!
//! The tests check both are current; `cargo run -p hospital-codegen` rewrites them.

use hospital_api::registry::{FUNCTIONS, Function, TableAccess};
use hospital_api::routes::{Route, path_params};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;

pub const BEGIN: &str = "  # ---- BEGIN GENERATED FUNCTIONS (cargo run -p hospital-codegen; do not edit by hand) ----\n";
pub const END: &str = "  # ---- END GENERATED FUNCTIONS ----\n";

/// `patients` → `Patients`, `billing_entry` → `BillingEntry`.
pub fn pascal(name: &str) -> String {
    name.split(['_', '-'])
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// The template's logical id of a function.
pub fn logical_id(f: &Function) -> String {
    format!("{}Function", pascal(f.name))
}

fn operation_id(r: &Route) -> String {
    r.op.operation_id
        .clone()
        .unwrap_or_else(|| format!("{} {}", r.method, r.path))
}

/// The template's functions, as the text between the markers.
pub fn template_functions() -> String {
    let mut out = String::new();
    for f in FUNCTIONS {
        let id = logical_id(f);
        let _ = writeln!(out, "  {id}:");
        out.push_str("    Type: AWS::Serverless::Function\n");
        // Identical on every function, so that `sam build` builds the binary once.
        out.push_str("    Metadata:\n      BuildMethod: rust-cargolambda\n      BuildProperties:\n        Binary: hospital\n");
        out.push_str("    Properties:\n");
        // JSON strings are YAML double-quoted strings.
        let _ = writeln!(out, "      Description: {}", json!(f.description));
        let _ = writeln!(
            out,
            "      Environment:\n        Variables:\n          HOSPITAL_FUNCTION: {}",
            f.name
        );
        match f.table {
            TableAccess::None => {
                out.push_str("      # No table access: its routes read nothing from storage.\n")
            }
            TableAccess::Read => out.push_str("      Policies:\n        - !Ref TableReadPolicy\n"),
            TableAccess::ReadWrite => {
                out.push_str("      Policies:\n        - !Ref TableAccessPolicy\n")
            }
        }
        out.push_str("      Events:\n");
        for r in (f.routes)() {
            let _ = writeln!(out, "        {}:", pascal(&operation_id(&r)));
            out.push_str(
                "          Type: HttpApi\n          Properties:\n            ApiId: !Ref HttpApi\n",
            );
            let _ = writeln!(out, "            Method: {}", r.method);
            let _ = writeln!(out, "            Path: {}", r.path);
            if r.roles.is_empty() {
                out.push_str("            Auth:\n              Authorizer: NONE\n");
            }
        }
        out.push('\n');
        let _ = writeln!(out, "  {id}LogGroup:");
        out.push_str("    Type: AWS::Logs::LogGroup\n    DeletionPolicy: Delete\n    UpdateReplacePolicy: Delete\n    Properties:\n");
        let _ = writeln!(out, "      LogGroupName: !Sub /aws/lambda/${{{id}}}");
        out.push_str("      RetentionInDays: !Ref LogRetentionDays\n\n");
    }
    out
}

/// `template` with its generated section replaced.
pub fn with_functions(template: &str) -> Result<String, String> {
    let start = template
        .find(BEGIN)
        .ok_or("template.yaml has no BEGIN GENERATED FUNCTIONS line")?;
    let end = template
        .find(END)
        .ok_or("template.yaml has no END GENERATED FUNCTIONS line")?;
    Ok(format!(
        "{}{BEGIN}{}{}",
        &template[..start],
        template_functions(),
        &template[end..]
    ))
}

/// An id for each path parameter of the samples.
const SAMPLE_IDS: [&str; 3] = [
    "01JBEN16F07QRVXFM2VY5PFPDZ",
    "01JBEMSW30RD39EK9TNMZCBE0T",
    "01JD3Q0V4W6X8Y9Z0A1B2C3D4E",
];

/// The base of every sample: an API Gateway HTTP API (payload 2.0) request with the JWT
/// authorizer's claims, as API Gateway hands it to the function.
pub fn base_event() -> Value {
    json!({
        "version": "2.0",
        "routeKey": "GET /v1/health",
        "rawPath": "/v1/health",
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "user-agent": "hospital-frontend/1.0",
            "x-amzn-trace-id": "Root=1-6749ac40-0123456789abcdef01234563",
            "x-forwarded-for": "203.0.113.10",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            "authorization": "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6InNhbXBsZSJ9.eyJzdWIiOiI3ZjNjMmExMCJ9.c2lnbmF0dXJl"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {
                "method": "GET",
                "path": "/v1/health",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "hospital-frontend/1.0"
            },
            "requestId": "Cx1aHkzLoAMEb3Q=",
            "routeKey": "GET /v1/health",
            "stage": "$default",
            "time": "29/Nov/2026:12:00:03 +0000",
            "timeEpoch": 1795953603000_i64,
            "authorizer": {
                "jwt": {
                    "claims": {
                        "sub": "7f3c2a10-5b6d-4e8f-9a01-23456789abcd",
                        "roles": "[admin]",
                        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Ex4mple00",
                        "aud": "hospital-api",
                        "iat": "1795953000",
                        "exp": "1795956600"
                    },
                    "scopes": null
                }
            }
        },
        "isBase64Encoded": false
    })
}

/// The sample event of one route: its method and path (ids filled in), the first role it
/// allows as the caller's, and its example body.
pub fn sample_event(route: &Route) -> Value {
    let mut event = base_event();
    let mut ids = SAMPLE_IDS.iter();
    let mut path = route.path.to_string();
    for p in path_params(route.path).collect::<Vec<_>>() {
        path = path.replace(&format!("{{{p}}}"), ids.next().unwrap_or(&SAMPLE_IDS[0]));
    }
    let route_key = format!("{} {}", route.method, route.path);
    event["routeKey"] = json!(route_key);
    event["rawPath"] = json!(path);
    event["requestContext"]["routeKey"] = json!(route_key);
    event["requestContext"]["http"]["method"] = json!(route.method);
    event["requestContext"]["http"]["path"] = json!(path);
    match route.roles.first() {
        Some(role) => {
            event["requestContext"]["authorizer"]["jwt"]["claims"]["roles"] =
                json!(format!("[{}]", role.as_str()));
        }
        None => {
            // A public route: no token, no authorizer.
            if let Some(h) = event["headers"].as_object_mut() {
                h.remove("authorization");
            }
            if let Some(c) = event["requestContext"].as_object_mut() {
                c.remove("authorizer");
            }
        }
    }
    if let Some(body) = &route.example {
        let text = body.to_string();
        let media = if route.method == "PATCH" {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        event["headers"]["content-type"] = json!(media);
        event["headers"]["content-length"] = json!(text.len().to_string());
        event["body"] = json!(text);
    }
    event
}

/// Every sample: (relative path under `events/`, event).
pub fn sample_events() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for f in FUNCTIONS {
        for r in (f.routes)() {
            let name = operation_id(&r).replace('_', "-");
            out.push((format!("{}/{name}.json", f.name), sample_event(&r)));
        }
    }
    out
}

/// Writes (or, with `check`, only compares) the generated files under `root`; answers the
/// files that differ(ed).
pub fn write_all(root: &Path, check: bool) -> Result<Vec<String>, String> {
    let mut changed = Vec::new();
    let template_path = root.join("template.yaml");
    let template = std::fs::read_to_string(&template_path)
        .map_err(|e| format!("{}: {e}", template_path.display()))?;
    let wanted = with_functions(&template)?;
    if wanted != template {
        changed.push("template.yaml".to_string());
        if !check {
            std::fs::write(&template_path, &wanted).map_err(|e| e.to_string())?;
        }
    }
    let events = root.join("events");
    let samples = sample_events();
    // Stale files: samples of routes that are gone.
    let wanted_files: Vec<String> = samples.iter().map(|(p, _)| p.clone()).collect();
    if let Ok(dirs) = std::fs::read_dir(&events) {
        for dir in dirs.flatten().filter(|d| d.path().is_dir()) {
            for file in std::fs::read_dir(dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let rel = format!(
                    "{}/{}",
                    dir.file_name().to_string_lossy(),
                    file.file_name().to_string_lossy()
                );
                if rel.ends_with(".json") && !wanted_files.contains(&rel) {
                    changed.push(format!("events/{rel} (removed)"));
                    if !check {
                        std::fs::remove_file(file.path()).map_err(|e| e.to_string())?;
                    }
                }
            }
        }
    }
    for (rel, event) in samples {
        let path = events.join(&rel);
        let text = serde_json::to_string_pretty(&event).map_err(|e| e.to_string())? + "\n";
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            changed.push(format!("events/{rel}"));
            if !check {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
                }
                std::fs::write(&path, text).map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(changed)
}
