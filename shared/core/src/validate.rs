//! Our own validators (CPF, CEP, phone, UF) for the `validator` crate, and the conversion of its
//! errors into field errors for the envelope.

use crate::error::FieldError;
use std::borrow::Cow;
use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

fn err(code: &'static str, message: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Borrowed(message))
}

/// Strips the usual punctuation of a formatted document number ("123.456.789-09" → digits).
pub fn digits_only(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '.' | '-' | '/' | ' '))
        .collect()
}

/// CPF: 11 digits with valid check digits; sequences of one repeated digit are invalid.
pub fn cpf(value: &str) -> Result<(), ValidationError> {
    let digits: Vec<u32> = value.chars().filter_map(|c| c.to_digit(10)).collect();
    if value.len() != 11 || digits.len() != 11 {
        return Err(err("cpf", "must have 11 digits"));
    }
    if digits.iter().all(|d| *d == digits[0]) {
        return Err(err("cpf", "invalid check digits"));
    }
    let check = |n: usize| {
        let sum: u32 = (0..n).map(|i| digits[i] * (n as u32 + 1 - i as u32)).sum();
        let r = (sum * 10) % 11;
        if r == 10 { 0 } else { r }
    };
    if check(9) != digits[9] || check(10) != digits[10] {
        return Err(err("cpf", "invalid check digits"));
    }
    Ok(())
}

/// CEP: 8 digits.
pub fn cep(value: &str) -> Result<(), ValidationError> {
    if value.len() == 8 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(err("cep", "must have 8 digits"))
    }
}

/// Phone in E.164: `+`, country code, up to 15 digits in all (e.g. +5511987654321).
pub fn phone(value: &str) -> Result<(), ValidationError> {
    let rest = value.strip_prefix('+').unwrap_or("");
    let ok = (8..=15).contains(&rest.len())
        && rest.bytes().all(|b| b.is_ascii_digit())
        && !rest.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(err("phone", "must be in E.164 format, e.g. +5511987654321"))
    }
}

/// A required text field that is not blank once trimmed.
pub fn not_blank(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        Err(err("blank", "must not be blank"))
    } else {
        Ok(())
    }
}

/// Lower-cases and strips accents, for case- and accent-insensitive names and prefixes.
pub fn fold(s: &str) -> String {
    deunicode::deunicode(s.trim()).to_lowercase()
}

/// The listing form of a name: folded, words joined by `!`. Lists sort by it with the id after a
/// space, and a space sorts below every character left in it, so "Ana" lists before
/// "Ana Maria" and both before "Anabela".
pub fn sort_text(s: &str) -> String {
    fold(s)
        .split(|c: char| c.is_whitespace() || c <= '!')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("!")
}

/// JSON Schema patterns of the document numbers and codes the validators below accept (the
/// OpenAPI document states them; `tests` checks they agree with the validators).
pub const CPF_PATTERN: &str = r"^[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}$";
pub const CEP_PATTERN: &str = r"^[0-9]{5}-?[0-9]{3}$";
pub const PHONE_PATTERN: &str = r"^\+[1-9][0-9]{7,14}$";
pub const CRM_PATTERN: &str = r"^[0-9]{1,10}$";
pub const ANS_PATTERN: &str = r"^[0-9]{6}$";
pub const ICD10_PATTERN: &str = r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$";

/// ICD-10 code: a letter, two digits, optionally a dot and 1 to 4 more characters (`I21.9`).
pub fn icd10(value: &str) -> Result<(), ValidationError> {
    let b = value.as_bytes();
    let head =
        b.len() >= 3 && b[0].is_ascii_uppercase() && b[1].is_ascii_digit() && b[2].is_ascii_digit();
    let tail = match &b[3.min(b.len())..] {
        [] => true,
        [b'.', rest @ ..] => {
            (1..=4).contains(&rest.len())
                && rest
                    .iter()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        }
        _ => false,
    };
    if head && tail {
        Ok(())
    } else {
        Err(err("icd10", "must be an ICD-10 code such as I21.9"))
    }
}

/// Control characters: none in a single-line text; in a multi-line one only line breaks and
/// tabs.
pub fn bad_char(c: char, multiline: bool) -> bool {
    c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))
}

/// The JSON Schema pattern of a single-line text (no control characters).
pub const SINGLE_LINE_PATTERN: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";
/// The JSON Schema pattern of a multi-line text (line breaks and tabs allowed).
pub const MULTILINE_PATTERN: &str =
    "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// Every text of `data` (nested ones too) that holds a control character it may not: line
/// breaks only in the fields named in `multiline`, nothing else anywhere.
pub fn text_fields<T: serde::Serialize>(data: &T, multiline: &[&str]) -> Vec<FieldError> {
    let mut out = Vec::new();
    if let Ok(value) = serde_json::to_value(data) {
        walk(&value, "", multiline, &mut out);
    }
    out
}

fn walk(value: &serde_json::Value, path: &str, multiline: &[&str], out: &mut Vec<FieldError>) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            let field = path.split(['.', '[']).next().unwrap_or(path);
            let ml = multiline.contains(&field) || multiline.contains(&path);
            if s.chars().any(|c| bad_char(c, ml)) {
                out.push(FieldError::new(
                    path,
                    if ml {
                        "must not contain control characters other than line breaks and tabs"
                    } else {
                        "must be a single line without control characters"
                    },
                ));
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{path}[{i}]"), multiline, out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(v, &p, multiline, out);
            }
        }
        _ => {}
    }
}

/// Flattens `validator`'s nested errors into `field.path: message` entries.
pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(errors, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = match &e.message {
                        Some(m) => m.to_string(),
                        None => describe(e),
                    };
                    out.push(FieldError::new(&path, message));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect(inner, &format!("{path}[{i}]"), out);
                }
            }
        }
    }
}

fn describe(e: &ValidationError) -> String {
    let param = |k: &str| e.params.get(k).map(|v| v.to_string());
    match e.code.as_ref() {
        "email" => "must be a valid e-mail address".into(),
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
            (Some(min), None) => format!("length must be at least {min}"),
            (None, Some(max)) => format!("length must be at most {max}"),
            _ => "invalid length".into(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "out of range".into(),
        },
        code => format!("invalid ({code})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpf_check_digits() {
        assert!(cpf("52998224725").is_ok());
        assert!(cpf("11144477735").is_ok());
        assert!(cpf("52998224724").is_err());
        assert!(cpf("11111111111").is_err());
        assert!(cpf("5299822472").is_err());
        assert!(cpf("5299822472a").is_err());
        assert_eq!(digits_only("529.982.247-25"), "52998224725");
    }

    #[test]
    fn phone_cep_fold() {
        assert!(phone("+5511987654321").is_ok());
        assert!(phone("5511987654321").is_err());
        assert!(phone("+0511987654321").is_err());
        assert!(phone("+55 11 98765").is_err());
        assert!(cep("01310100").is_ok());
        assert!(cep("0131010").is_err());
        assert_eq!(fold("  Órtopedia Pediátrica "), "ortopedia pediatrica");
        assert_eq!(sort_text(" Ana  Maria\tLopes"), "ana!maria!lopes");
        let mut names = ["Anabela", "Ana Maria", "Ana"].map(|n| format!("{} 01J", sort_text(n)));
        names.sort();
        assert_eq!(names, ["ana 01J", "ana!maria 01J", "anabela 01J"]);
    }
}
