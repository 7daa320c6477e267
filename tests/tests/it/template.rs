//! template.yaml and events/ match the code: the generated parts are current, every route of
//! the RBAC table (but hospital-local's own) is an HttpApi event of the function that serves
//! it (public ones without the authorizer), and every function is deployed.

use super::lambda_events::root;
use hospital_api::rbac::routes;
use hospital_api::registry::{FUNCTIONS, LOCAL_FUNCTIONS};
use serde_json::Value;
use std::collections::BTreeSet;

#[test]
fn generated_files_are_current() {
    let stale = hospital_codegen::write_all(&root(), true).expect("codegen");
    assert!(
        stale.is_empty(),
        "stale, run `cargo run -p hospital-codegen`: {stale:?}"
    );
}

/// The template's time zones are the ones the functions are built with, default included.
#[test]
fn template_time_zones_are_the_compiled_ones() {
    let template = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let block = &template[template.find("  HospitalTimezone:").expect("the parameter")..];
    let line = block
        .lines()
        .find_map(|l| l.trim().strip_prefix("AllowedValues: ["))
        .expect("AllowedValues");
    let zones: Vec<&str> = line.trim_end_matches(']').split(", ").collect();
    assert!(
        zones.contains(&"America/Sao_Paulo") && zones.len() > 10,
        "{zones:?}"
    );
    for zone in zones {
        hospital_core::time::parse_tz(zone).unwrap_or_else(|e| panic!("{e}"));
    }
}

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
    let listed: Vec<Value> = serde_json::from_slice(&out.stdout).expect("routes JSON");
    let in_template: BTreeSet<(String, String, String, bool)> = listed
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
    let local: Vec<&str> = LOCAL_FUNCTIONS.iter().map(|f| f.name).collect();
    let in_code: BTreeSet<(String, String, String, bool)> = routes()
        .iter()
        .filter(|r| !local.contains(&r.function))
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
fn every_function_is_deployed_and_local_routes_are_not() {
    let template = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    for f in FUNCTIONS {
        assert!(
            template.contains(&format!("HOSPITAL_FUNCTION: {}\n", f.name)),
            "template.yaml has no function {}",
            f.name
        );
        assert!(
            root().join("events").join(f.name).is_dir(),
            "events/{} missing",
            f.name
        );
    }
    for f in LOCAL_FUNCTIONS {
        assert!(!template.contains(&format!("HOSPITAL_FUNCTION: {}\n", f.name)));
        assert!(!template.contains("/v1/dev/"));
    }
}

/// A rule the template declares, as `scripts/check_template.py --catalogue` reads it.
pub struct TemplateRule {
    pub function: String,
    pub source: String,
    pub detail_types: Vec<String>,
    pub bus: String,
}

/// What the template declares of the catalogue: its rules and schedules.
pub fn template_catalogue() -> Value {
    let out = std::process::Command::new("python3")
        .arg(root().join("scripts/check_template.py"))
        .arg("--catalogue")
        .current_dir(root())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every rule the template declares.
pub fn template_rules() -> Vec<TemplateRule> {
    let text = |v: &Value| v.as_str().unwrap().to_string();
    template_catalogue()["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| TemplateRule {
            function: text(&r["function"]),
            source: text(&r["source"][0]),
            detail_types: r["detail_types"]
                .as_array()
                .unwrap()
                .iter()
                .map(text)
                .collect(),
            bus: text(&r["bus"]),
        })
        .collect()
}

#[test]
fn template_declares_exactly_the_catalogue() {
    use hospital_core::automation::catalogue::{CONSUMERS, JOBS};
    let rules: BTreeSet<(String, String, Vec<String>, String)> = template_rules()
        .into_iter()
        .map(|r| (r.function, r.source, r.detail_types, r.bus))
        .collect();
    let wanted: BTreeSet<(String, String, Vec<String>, String)> = CONSUMERS
        .iter()
        .map(|c| {
            (
                c.name.to_string(),
                c.source.to_string(),
                c.detail_types.iter().map(|t| t.to_string()).collect(),
                "EventBus".to_string(),
            )
        })
        .collect();
    assert_eq!(rules, wanted);
    let declared = template_catalogue();
    let schedules: BTreeSet<(String, String, String, String)> = declared["schedules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["function"].as_str().unwrap().to_string(),
                s["expression"].as_str().unwrap().to_string(),
                s["timezone"].as_str().unwrap().to_string(),
                s["flexible"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let wanted: BTreeSet<(String, String, String, String)> = JOBS
        .iter()
        .map(|j| {
            (
                j.name.to_string(),
                j.schedule.expression(),
                "HospitalTimezone".to_string(),
                "OFF".to_string(),
            )
        })
        .collect();
    assert_eq!(schedules, wanted);
    let streams = declared["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 1, "{streams:?}");
    assert_eq!(streams[0]["function"], "relay");
    assert_eq!(streams[0]["bisect"], true);
    assert!(
        streams[0]["filters"][0]
            .as_str()
            .unwrap()
            .contains("outbox")
    );
}

/// Every function runs a binary that links what it needs, and each binary's wiring is the one
/// its main passes.
#[test]
fn every_function_runs_a_binary_that_wires_its_needs() {
    use hospital_api::registry::{BINARIES, RELAY, binary_of};
    use hospital_core::automation::catalogue::{CONSUMERS, JOBS, Needs};
    use hospital_functions::Wiring;
    let wiring = |binary: &str| {
        Wiring::ALL
            .into_iter()
            .find(|w| w.binary == binary)
            .unwrap_or_else(|| panic!("no wiring for {binary}"))
    };
    assert_eq!(
        Wiring::ALL.map(|w| w.binary),
        BINARIES[1..],
        "a wiring per automation binary, in order"
    );
    for f in hospital_api::registry::FUNCTIONS {
        assert_eq!(binary_of(f.name), Some("hospital"), "{}", f.name);
    }
    for (name, needs) in CONSUMERS
        .iter()
        .map(|c| (c.name, c.needs))
        .chain(JOBS.iter().map(|j| (j.name, j.needs)))
        .chain([(RELAY, &[Needs::PublishEvents][..])])
    {
        let binary = binary_of(name).expect("a binary");
        assert!(
            wiring(binary).provides(needs),
            "{name} in {binary} lacks {needs:?}"
        );
    }
    assert_eq!(binary_of("daily-report"), Some("hospital-reports"));
    assert_eq!(binary_of("notifier"), Some("hospital-mail"));
    assert_eq!(binary_of("patients"), Some("hospital"));
    assert_eq!(binary_of("long-stays"), Some("hospital-automation"));
    assert_eq!(binary_of(RELAY), Some("hospital-automation"));
    assert_eq!(binary_of("nothing"), None);
}
