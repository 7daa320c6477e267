//! RF20 length of stay and RF21/AD04 readmissions, from the admissions' month views
//! (`admission#admitted#<YYYY-MM>`, `admission#discharged#<YYYY-MM>`, UTC months, in time
//! order): a range reads the admissions it holds, and no other.
//!
//! Length of stay, over the admissions finished (any disposition) with `discharged_at` in
//! the range:
//! - `patient_days` = Σ census patient-days of those admissions (a stay admitted and
//!   discharged on one day counts 1); `average_stay_days = patient_days / discharges`;
//! - per group (discharge diagnosis code, or its ICD-10 chapter): the stays' lengths
//!   `(discharged_at − admitted_at) / 24 h`; mean, median (the mean of the middle two for an
//!   even count), p90 by nearest rank (the ⌈0.9 n⌉-th smallest).
//!
//! Readmissions, over the admissions (not cancelled) with `admitted_at` in the range: one is a
//! readmission when it begins within `days` × 24 h after the discharge of the same patient's
//! previous admission; `rate = readmissions / admissions × 100`; the top 3 admitting
//! diagnoses among readmissions by count, ties by code.

use super::counters::census_days;
use super::model::{DiagnosisCount, LengthOfStay, Readmission, Readmissions, StayGroup};
use super::{Span, percent, ratio, records};
use crate::admissions::{ADMITTED, Admission, AdmissionStatus, DISCHARGED};
use crate::resource::record::rfc3339;
use crate::resource::{Deps, Record, Resource};
use crate::store::{Item, Query, SkRange};
use crate::time::day_bounds;
use crate::{DomainError, DomainResult};
use chrono::Datelike;
use std::collections::BTreeMap;

const DAY_SECS: i64 = 86_400;

/// The admissions of a month view whose time lies in the span's days.
async fn in_span(deps: &Deps, view: &str, span: Span) -> DomainResult<Vec<Record<Admission>>> {
    let tz = deps.calendar.tz();
    let (start, _) = day_bounds(span.from, tz);
    let (_, end) = day_bounds(span.to, tz);
    let (lo, hi) = (rfc3339(start), rfc3339(end));
    let mut out = Vec::new();
    let mut month = start.date_naive().with_day(1).unwrap_or(start.date_naive());
    while month <= end.date_naive() {
        let query = Query::table(format!("{view}{}", month.format("%Y-%m")))
            .sk(SkRange::Between(lo.clone(), hi.clone()));
        out.extend(records::<Admission>(deps, query).await?);
        month = month
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(chrono::NaiveDate::MAX);
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StayGroupBy {
    Diagnosis,
    Chapter,
}

impl StayGroupBy {
    pub fn parse(v: Option<&str>) -> DomainResult<Self> {
        match v.unwrap_or("diagnosis") {
            "diagnosis" => Ok(StayGroupBy::Diagnosis),
            "chapter" => Ok(StayGroupBy::Chapter),
            other => Err(DomainError::bad_request(
                "group_by",
                format!("diagnosis or chapter, not {other:?}"),
            )),
        }
    }
}

/// Census patient-days of a finished admission: each stay's censuses, or 1 when it saw none.
pub fn patient_days(a: &Admission, tz: chrono_tz::Tz) -> i64 {
    let n: usize = a
        .stays
        .iter()
        .filter_map(|s| s.to.map(|to| census_days(s.from, to, tz).len()))
        .sum();
    (n as i64).max(1)
}

/// `GET /v1/analytics/length-of-stay`.
pub async fn length_of_stay(
    deps: &Deps,
    span: Span,
    by: StayGroupBy,
) -> DomainResult<LengthOfStay> {
    let tz = deps.calendar.tz();
    let finished = in_span(deps, DISCHARGED, span).await?;
    let mut total_days = 0;
    let mut discharges = 0;
    // code → (text, lengths in seconds)
    let mut groups: BTreeMap<String, (String, Vec<i64>)> = BTreeMap::new();
    for r in finished {
        let a = &r.data;
        let (Some(d), Some(admitted), AdmissionStatus::Finished) =
            (&a.discharge, a.admitted_at, a.status)
        else {
            continue;
        };
        discharges += 1;
        total_days += patient_days(a, tz);
        let (code, text) = match by {
            StayGroupBy::Diagnosis => (
                d.discharge_diagnosis.code.clone(),
                d.discharge_diagnosis.text.clone(),
            ),
            StayGroupBy::Chapter => match icd10_chapter(&d.discharge_diagnosis.code) {
                Some((roman, title)) => (roman.to_string(), title.to_string()),
                None => ("?".into(), "Código fora dos capítulos da CID-10".into()),
            },
        };
        let length = (d.discharged_at - admitted).num_seconds();
        groups
            .entry(code)
            .or_insert((text, Vec::new()))
            .1
            .push(length);
    }
    let mut out: Vec<StayGroup> = groups
        .into_iter()
        .map(|(code, (text, mut secs))| {
            secs.sort_unstable();
            let n = secs.len() as i64;
            let median = if n % 2 == 1 {
                ratio(secs[secs.len() / 2], DAY_SECS, 2)
            } else {
                ratio(
                    secs[secs.len() / 2 - 1] + secs[secs.len() / 2],
                    2 * DAY_SECS,
                    2,
                )
            };
            let rank = (9 * secs.len()).div_ceil(10).max(1);
            StayGroup {
                code,
                text,
                discharges: n,
                mean_days: ratio(secs.iter().sum(), n * DAY_SECS, 2).unwrap_or(0.0),
                median_days: median.unwrap_or(0.0),
                p90_days: ratio(secs[rank - 1], DAY_SECS, 2).unwrap_or(0.0),
            }
        })
        .collect();
    out.sort_by(|a, b| b.discharges.cmp(&a.discharges).then(a.code.cmp(&b.code)));
    Ok(LengthOfStay {
        discharges,
        patient_days: total_days,
        average_stay_days: ratio(total_days, discharges, 2),
        groups: out,
    })
}

/// `GET /v1/analytics/readmissions`.
pub async fn readmissions(deps: &Deps, span: Span, days: i64) -> DomainResult<Readmissions> {
    let admitted = in_span(deps, ADMITTED, span).await?;
    let mut items = Vec::new();
    let mut diagnoses: BTreeMap<String, i64> = BTreeMap::new();
    let mut admissions = 0;
    for r in &admitted {
        let Some(at) = r.data.admitted_at else {
            continue;
        };
        if r.data.status == AdmissionStatus::Cancelled {
            continue;
        }
        admissions += 1;
        let Some(previous) = previous(deps, r).await? else {
            continue;
        };
        let Some(left) = previous.data.discharge.as_ref().map(|d| d.discharged_at) else {
            continue;
        };
        let gap = (at - left).num_seconds();
        if (0..=days * DAY_SECS).contains(&gap) {
            *diagnoses
                .entry(r.data.admitting_diagnosis.code.clone())
                .or_default() += 1;
            items.push(Readmission {
                admission_id: r.id.clone(),
                previous_admission_id: previous.id,
                days_since_discharge: ratio(gap, DAY_SECS, 2).unwrap_or(0.0),
            });
        }
    }
    let mut top: Vec<DiagnosisCount> = diagnoses
        .into_iter()
        .map(|(code, count)| DiagnosisCount { code, count })
        .collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(&b.code)));
    top.truncate(3);
    let n = items.len() as i64;
    Ok(Readmissions {
        admissions,
        readmissions: n,
        rate_percent: percent(n, admissions),
        top_diagnoses: top,
        items,
    })
}

/// The patient's admission before `r` (cancelled ones skipped): the next ones in the
/// patient's newest-first view.
async fn previous(deps: &Deps, r: &Record<Admission>) -> DomainResult<Option<Record<Admission>>> {
    let pk = format!("admission#patient#{}", r.data.patient_id);
    let mut start: Item = Item::new();
    start.insert("pk".into(), pk.clone().into());
    start.insert(
        "sk".into(),
        format!("{} {}", r.data.sort_key(), r.id).into(),
    );
    let mut start = Some(start);
    loop {
        // One at a time: the previous one is usually the next item (reads stay one per admission).
        let query = Query::table(pk.clone()).limit(1).start_after(start.take());
        let page = deps.store.query(&query).await?;
        for item in page.items {
            let a = Record::<Admission>::from_item(item)?;
            if a.data.status != AdmissionStatus::Cancelled {
                return Ok(Some(a));
            }
        }
        match page.last_key {
            Some(k) => start = Some(k),
            None => return Ok(None),
        }
    }
}

/// The ICD-10 chapter of a code (WHO 2019): its roman numeral and pt-BR title.
pub fn icd10_chapter(code: &str) -> Option<(&'static str, &'static str)> {
    let mut chars = code.chars();
    let letter = chars.next()?;
    let n: u32 = chars.as_str().get(..2)?.parse().ok()?;
    let key = (letter, n);
    CHAPTERS
        .iter()
        .find(|(from, to, _, _)| *from <= key && key <= *to)
        .map(|(_, _, roman, title)| (*roman, *title))
}

type Chapter = ((char, u32), (char, u32), &'static str, &'static str);

const CHAPTERS: &[Chapter] = &[
    (
        ('A', 0),
        ('B', 99),
        "I",
        "Algumas doenças infecciosas e parasitárias",
    ),
    (('C', 0), ('D', 48), "II", "Neoplasias (tumores)"),
    (
        ('D', 50),
        ('D', 89),
        "III",
        "Doenças do sangue e dos órgãos hematopoéticos e alguns transtornos imunitários",
    ),
    (
        ('E', 0),
        ('E', 90),
        "IV",
        "Doenças endócrinas, nutricionais e metabólicas",
    ),
    (
        ('F', 0),
        ('F', 99),
        "V",
        "Transtornos mentais e comportamentais",
    ),
    (('G', 0), ('G', 99), "VI", "Doenças do sistema nervoso"),
    (('H', 0), ('H', 59), "VII", "Doenças do olho e anexos"),
    (
        ('H', 60),
        ('H', 95),
        "VIII",
        "Doenças do ouvido e da apófise mastoide",
    ),
    (
        ('I', 0),
        ('I', 99),
        "IX",
        "Doenças do aparelho circulatório",
    ),
    (('J', 0), ('J', 99), "X", "Doenças do aparelho respiratório"),
    (('K', 0), ('K', 93), "XI", "Doenças do aparelho digestivo"),
    (
        ('L', 0),
        ('L', 99),
        "XII",
        "Doenças da pele e do tecido subcutâneo",
    ),
    (
        ('M', 0),
        ('M', 99),
        "XIII",
        "Doenças do sistema osteomuscular e do tecido conjuntivo",
    ),
    (
        ('N', 0),
        ('N', 99),
        "XIV",
        "Doenças do aparelho geniturinário",
    ),
    (('O', 0), ('O', 99), "XV", "Gravidez, parto e puerpério"),
    (
        ('P', 0),
        ('P', 96),
        "XVI",
        "Algumas afecções originadas no período perinatal",
    ),
    (
        ('Q', 0),
        ('Q', 99),
        "XVII",
        "Malformações congênitas, deformidades e anomalias cromossômicas",
    ),
    (
        ('R', 0),
        ('R', 99),
        "XVIII",
        "Sintomas, sinais e achados anormais de exames clínicos e de laboratório",
    ),
    (
        ('S', 0),
        ('T', 98),
        "XIX",
        "Lesões, envenenamento e algumas outras consequências de causas externas",
    ),
    (
        ('U', 0),
        ('U', 99),
        "XXII",
        "Códigos para propósitos especiais",
    ),
    (
        ('V', 1),
        ('Y', 98),
        "XX",
        "Causas externas de morbidade e de mortalidade",
    ),
    (
        ('Z', 0),
        ('Z', 99),
        "XXI",
        "Fatores que influenciam o estado de saúde e o contato com os serviços de saúde",
    ),
];

#[cfg(test)]
mod tests {
    use super::icd10_chapter;

    #[test]
    fn chapters() {
        assert_eq!(icd10_chapter("I21.9").map(|c| c.0), Some("IX"));
        assert_eq!(icd10_chapter("D49").map(|c| c.0), None);
        assert_eq!(icd10_chapter("D50.1").map(|c| c.0), Some("III"));
        assert_eq!(icd10_chapter("H60").map(|c| c.0), Some("VIII"));
        assert_eq!(icd10_chapter("T98").map(|c| c.0), Some("XIX"));
        assert_eq!(icd10_chapter("S00").map(|c| c.0), Some("XIX"));
        assert_eq!(icd10_chapter("A00").map(|c| c.0), Some("I"));
        assert_eq!(icd10_chapter("Z99.9").map(|c| c.0), Some("XXI"));
    }
}
