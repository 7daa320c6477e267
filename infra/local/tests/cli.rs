//! The hospital-local command line: `token` prints only a token, valid 12 hours, that the
//! server accepts.

use hospital_api::auth::{Authenticator, LocalJwt, Role};
use std::process::Command;

#[test]
fn token_prints_only_a_12_hour_token_signed_with_the_local_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hospital-local"))
        .args(["token", "--role", "doctor", "--role", "nurse"])
        .env("HOSPITAL_DATA_DIR", dir.path())
        .env_remove("HOSPITAL_JWT_SECRET")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.trim_end_matches('\n');
    assert_eq!(token.lines().count(), 1);
    assert_eq!(token.split('.').count(), 3, "not a JWT: {token}");

    // The key was generated into the data dir, owner-only.
    let key_path = dir.path().join("jwt-secret");
    let key = std::fs::read(&key_path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let jwt = LocalJwt::new(&key);
    let req = axum::http::Request::get("/")
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .unwrap();
    let (parts, _) = req.into_parts();
    let principal = jwt.authenticate(&parts).unwrap();
    assert_eq!(principal.roles, [Role::Doctor, Role::Nurse]);

    // exp - iat is 12 hours.
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        12 * 3600
    );
}

#[test]
fn token_rejects_an_unknown_role() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hospital-local"))
        .args(["token", "--role", "janitor"])
        .env("HOSPITAL_DATA_DIR", dir.path())
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role"));
}

#[test]
fn a_bad_setting_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hospital-local"))
        .env("HOSPITAL_STORE", "postgres")
        .env("HOSPITAL_DATA_DIR", dir.path())
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("HOSPITAL_STORE"));
}
