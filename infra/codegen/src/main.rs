//! `hospital-codegen`: rewrites what derives from the function registry.
//!
//! ```text
//! cargo run -p hospital-codegen            # write template.yaml's functions and events/
//! cargo run -p hospital-codegen -- --check # fail if either is stale (the tests do this too)
//! ```

fn main() -> std::process::ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    match hospital_codegen::write_all(&root, check) {
        Ok(changed) if check && !changed.is_empty() => {
            eprintln!("stale (run `cargo run -p hospital-codegen`):");
            for c in changed {
                eprintln!("  {c}");
            }
            std::process::ExitCode::FAILURE
        }
        Ok(changed) => {
            for c in &changed {
                println!("wrote {c}");
            }
            if changed.is_empty() {
                println!("up to date");
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
