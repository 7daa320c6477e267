//! template.yaml matches the code: every route of the RBAC table is an HttpApi event of the
//! function that serves it (public ones without the authorizer), and every function binary has
//! its template function and sample events.

use super::lambda_events::root;

use serde_json::Value;
use std::collections::BTreeSet;

#[test]
fn template_routes_match_the_rbac_table() {
    let out = std::process::Command::new("python3")
        .arg(root().join("scripts/check_template.py"))
        .arg("--routes")
        .current_dir(root())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "check_template.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let routes: Vec<Value> = serde_json::from_slice(&out.stdout).expect("routes JSON");
    let in_template: BTreeSet<(String, String, String, bool)> = routes
        .iter()
        .map(|r| {
            (
                r["function"].as_str().unwrap().to_string(),
                r["method"].as_str().unwrap().to_uppercase(),
                r["path"].as_str().unwrap().to_string(),
                r["public"].as_bool().unwrap(),
            )
        })
        .collect();
    let in_code: BTreeSet<(String, String, String, bool)> = hospital_api::rbac::routes()
        .iter()
        .map(|r| {
            (
                r.function.to_string(),
                r.method.to_string(),
                r.path.to_string(),
                r.roles.is_empty(),
            )
        })
        .collect();
    assert_eq!(in_template, in_code);
}

#[test]
fn every_function_binary_is_deployed_and_has_samples() {
    let template = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let bins = std::fs::read_dir(root().join("functions/src/bin")).unwrap();
    for bin in bins {
        let name = bin
            .unwrap()
            .path()
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .to_string();
        assert!(
            template.contains(&format!("Binary: {name}\n")),
            "template.yaml has no function with Binary: {name}"
        );
        assert!(
            root().join("events").join(&name).is_dir(),
            "events/{name}/ missing"
        );
        assert!(
            hospital_api::registry::names().contains(&name.as_str()),
            "{name} is not in hospital_api::FUNCTIONS"
        );
    }
}
