//! Figures as a Brazilian reader writes them: `1.234`, `87,5%`, `4,25`; `—` for none.

use chrono::{DateTime, Datelike, NaiveDate};

pub(crate) const NONE: &str = "—";

fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// `1.234`.
pub(crate) fn int(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", group(&n.unsigned_abs().to_string()))
}

/// `1.234,5` with `places` decimals.
pub(crate) fn dec(x: f64, places: usize) -> String {
    if !x.is_finite() {
        return NONE.to_string();
    }
    let s = format!("{:.*}", places, x.abs());
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    // No "-0,0".
    let negative = x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0');
    let sign = if negative { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{}", group(whole))
    } else {
        format!("{sign}{},{frac}", group(whole))
    }
}

/// `45 ampolas`, `1 ampola`.
pub(crate) fn count(n: i64, singular: &str) -> String {
    hospital_core::automation::notify::count(n, singular)
}

/// `87,5%`, or `—`.
pub(crate) fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| NONE.to_string(), |x| format!("{}%", dec(x, 1)))
}

/// `4,25`, or `—`.
pub(crate) fn days(x: Option<f64>) -> String {
    x.map_or_else(|| NONE.to_string(), |x| dec(x, 2))
}

/// `R$ 1.234,56`, or `—`.
pub(crate) fn money(cents: Option<i64>) -> String {
    cents.map_or_else(
        || NONE.to_string(),
        hospital_core::automation::notify::money,
    )
}

/// `28/11/2026`.
pub(crate) fn day(d: NaiveDate) -> String {
    hospital_core::automation::notify::day(d)
}

pub(crate) fn weekday(d: NaiveDate) -> &'static str {
    const NAMES: [&str; 7] = [
        "segunda-feira",
        "terça-feira",
        "quarta-feira",
        "quinta-feira",
        "sexta-feira",
        "sábado",
        "domingo",
    ];
    NAMES[d.weekday().num_days_from_monday() as usize % 7]
}

/// `29/11/2026 às 06:00` from RFC 3339 (in the time given there); the text as it is when
/// it is not RFC 3339.
pub(crate) fn timestamp(rfc3339: &str) -> String {
    match DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => format!("{} às {}", day(t.date_naive()), t.format("%H:%M")),
        Err(_) => rfc3339.to_string(),
    }
}

/// The label of an alert's kind.
pub(crate) fn alert_kind(kind: &str) -> String {
    match kind {
        "occupancy" => "Ocupação".to_string(),
        "demand" | "appointments" => "Demanda".to_string(),
        "coverage" | "medication_coverage" => "Cobertura".to_string(),
        "overdue" | "billing" => "Inadimplência".to_string(),
        "operations" | "operational" => "Operação".to_string(),
        "readmissions" => "Reinternações".to_string(),
        "stock" => "Estoque".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_in_brazil() {
        assert_eq!(int(1_234_567), "1.234.567");
        assert_eq!(int(-1000), "-1.000");
        assert_eq!(int(12), "12");
        assert_eq!(dec(1234.5, 1), "1.234,5");
        assert_eq!(dec(-0.01, 1), "0,0");
        assert_eq!(pct(Some(87.46)), "87,5%");
        assert_eq!(pct(None), "—");
        assert_eq!(days(Some(4.0)), "4,00");
        assert_eq!(money(Some(123_456)), "R$ 1.234,56");
        assert_eq!(
            timestamp("2026-11-29T06:05:00-03:00"),
            "29/11/2026 às 06:05"
        );
        assert_eq!(timestamp("ontem"), "ontem");
    }
}
