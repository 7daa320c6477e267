//! `hospital-local demo-data`: a fictional but plausible Brazilian hospital — its registries and
//! `--days` days of history ending today — written through the same use cases and rules the
//! API runs (repositories, `admissions::{admit, transfer, discharge, cancel}`, dispensations,
//! stock movements, the bill-discharge consumer), so every counter, view, event and rule
//! applies. Nothing is written to the store directly.
//!
//! - Time: the hospital is assembled over a [`ScenarioClock`] the generator owns. Every action
//!   is a timed entry in one queue, taken in time order with the clock set to its instant: the
//!   rules refuse times in the future and stamp records with the clock's now. The history ends
//!   at the first instant of today (hospital time zone), so nothing is dated after the real
//!   now and the figures do not depend on the hour the generator runs.
//! - Events: every change writes its outbox records as on the live system. The generator is
//!   the relay: each record goes to the bill-discharge consumer only (so discharges are billed
//!   exactly as the live system bills them — tariff × census days, issued on the day of
//!   discharge) and is then marked published by [`relay::sweep`]. The other consumers are
//!   e-mails about the past (released beds, low stock, reminders); sending hundreds of them
//!   into the outbox folder when the server starts would be noise, so they are never delivered.
//!   The relay runs right after each discharge (the bill is then found and its payment
//!   planned) and at the end of each simulated day.
//! - Determinism: every choice comes from one PRNG seeded with `--seed`, and the model orders
//!   by its own indices, never by ids (ULIDs are random): the same seed on the same day gives
//!   the same figures.
//! - Shape: the registries are created on the first morning; most patients are on file then,
//!   the others register as days go by. Appointments are planned up front (booked up to two
//!   weeks ahead); admissions are planned each morning from the census each sector is to have
//!   at midnight, so occupancy follows a target per sector, and the ICU fills up in the last
//!   days (its occupancy alert); dermatology's last week is thin (a demand alert); two
//!   medications end short (a recalled lot, a late supplier).

use crate::{Config, StoreKind, assemble_with_clock, open_store};
use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use hospital_core::DomainError;
use hospital_core::admissions::{self, Cancel, Diagnosis, Discharge, Disposition, Transfer};
use hospital_core::appointments::{Appointment, AppointmentStatus};
use hospital_core::automation::Ctx;
use hospital_core::automation::catalogue;
use hospital_core::automation::relay::{self, EventBus};
use hospital_core::beds::{Bed, BedKind, BedStatus};
use hospital_core::billing::{BillingEntry, BillingStatus, Currency};
use hospital_core::doctors::{Crm, Doctor, DoctorStatus};
use hospital_core::events::DomainEvent;
use hospital_core::exams::{Exam, ExamStatus, Priority};
use hospital_core::insurers::{Insurer, PlanType};
use hospital_core::medications::{self, Medication, MovementKind, NewStockMovement};
use hospital_core::patients::{Address, Allergy, EmergencyContact, Patient, Sex, Uf};
use hospital_core::prescriptions::{
    self, AdministrationRoute, NewDispensation, Prescription, PrescriptionItem, PrescriptionStatus,
};
use hospital_core::resource::record::rfc3339;
use hospital_core::resource::{Deps, Filter, Repository, Resource, Unique};
use hospital_core::sectors::{Sector, SectorKind};
use hospital_core::specialties::Specialty;
use hospital_core::staff::{StaffMember, StaffRole};
use hospital_core::store::{Index, Query, Store};
use hospital_core::tariffs::{Tariff, TariffScope};
use hospital_core::time::{Clock, ScenarioClock, SystemClock, day_bounds, parse_tz};
use hospital_core::{DomainResult, validate};
use serde::Serialize;
use serde_json::{Value, json};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The seed when none is given.
pub const DEFAULT_SEED: u64 = 42;
/// Days of history when none are given.
pub const DEFAULT_DAYS: u32 = 90;
/// Days of history accepted: a week is the least that shows a trend; two years is what
/// `hospital-bench analytics` reads its 30-day queries over (an analytics query spans at most
/// 366 days, but the reads must not grow with the history behind it).
pub const DAYS: std::ops::RangeInclusive<u32> = 7..=730;
/// Patients in the registry (newborns registered at birth come on top).
pub const PATIENTS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub seed: u64,
    pub days: u32,
    /// The instant the demo is made at (its history ends at the first instant of that day,
    /// hospital time); `None` is the system clock's now. Tests fix it to replay any day.
    pub now: Option<DateTime<Utc>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seed: DEFAULT_SEED,
            days: DEFAULT_DAYS,
            now: None,
        }
    }
}

/// What was created, counted as the use cases accepted it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub sectors: usize,
    pub beds: usize,
    pub specialties: usize,
    pub doctors: usize,
    pub staff: usize,
    pub insurers: usize,
    pub tariffs: usize,
    pub medications: usize,
    pub patients: usize,
    pub newborns: usize,
    pub addresses: usize,
    pub appointments: usize,
    pub appointments_fulfilled: usize,
    pub appointments_noshow: usize,
    pub appointments_cancelled: usize,
    pub appointments_ahead: usize,
    pub exams: usize,
    pub exams_completed: usize,
    pub exams_cancelled: usize,
    pub prescriptions: usize,
    pub dispensations: usize,
    pub dispensations_short: usize,
    pub stock_receipts: usize,
    pub stock_recalls: usize,
    pub admissions: usize,
    pub admissions_cancelled: usize,
    pub transfers: usize,
    pub discharges: usize,
    pub deaths: usize,
    pub transferred_out: usize,
    pub readmissions: usize,
    pub turned_away: usize,
    pub bed_status_changes: usize,
    pub billing_entries: usize,
    pub discharge_bills: usize,
    pub bills_paid: usize,
    pub bills_cancelled: usize,
    pub bills_pending: usize,
    pub bills_overdue: usize,
    pub outbox_records: usize,
}

/// The outcome of a run, printed at the end.
#[derive(Debug, Clone)]
pub struct Summary {
    pub seed: u64,
    pub days: u32,
    pub first_day: NaiveDate,
    pub today: NaiveDate,
    /// The instant the history ends: the first of today, hospital time.
    pub ended_at: DateTime<Utc>,
    pub elapsed: std::time::Duration,
    pub counts: Counts,
    /// Actions a rule refused (the first few, with why): none on a sound run.
    pub refused: Vec<String>,
    pub refused_count: usize,
}

impl Summary {
    /// The text `demo-data` prints.
    pub fn render(&self, config: &Config) -> String {
        let c = &self.counts;
        let mut out = format!(
            "Demo hospital ready in {:.1} s — seed {}, {} days of history ({} to {}), data in {}\n",
            self.elapsed.as_secs_f64(),
            self.seed,
            self.days,
            self.first_day,
            self.today,
            config.data_dir.display()
        );
        out += &format!(
            "  registries: {} sectors, {} beds, {} specialties, {} doctors, {} staff, {} insurers, {} tariffs, {} medications, {} patients ({} newborns, {} addresses)\n",
            c.sectors,
            c.beds,
            c.specialties,
            c.doctors,
            c.staff,
            c.insurers,
            c.tariffs,
            c.medications,
            c.patients,
            c.newborns,
            c.addresses
        );
        out += &format!(
            "  appointments: {} ({} fulfilled, {} no-show, {} cancelled, {} booked ahead)\n",
            c.appointments,
            c.appointments_fulfilled,
            c.appointments_noshow,
            c.appointments_cancelled,
            c.appointments_ahead
        );
        out += &format!(
            "  exams: {} ({} completed, {} cancelled); prescriptions: {} with {} dispensations; {} stock receipts, {} lot recalls\n",
            c.exams,
            c.exams_completed,
            c.exams_cancelled,
            c.prescriptions,
            c.dispensations,
            c.stock_receipts,
            c.stock_recalls
        );
        out += &format!(
            "  admissions: {} ({} discharged: {} deaths, {} transferred out; {} in progress; {} entered in error), {} transfers between sectors, {} readmissions\n",
            c.admissions,
            c.discharges,
            c.deaths,
            c.transferred_out,
            c.admissions - c.discharges - c.admissions_cancelled,
            c.admissions_cancelled,
            c.transfers,
            c.readmissions
        );
        out += &format!(
            "  billing: {} entries ({} from discharges, by the bill-discharge consumer): {} paid, {} pending ({} overdue), {} cancelled\n",
            c.billing_entries,
            c.discharge_bills,
            c.bills_paid,
            c.bills_pending,
            c.bills_overdue,
            c.bills_cancelled
        );
        out += &format!(
            "  {} outbox records, relayed to the bill-discharge consumer only (no e-mails about the past)\n",
            c.outbox_records
        );
        if self.refused_count > 0 {
            out += &format!(
                "  {} actions refused by the rules, e.g.:\n",
                self.refused_count
            );
            for r in &self.refused {
                out += &format!("    {r}\n");
            }
        }
        // The commands to go on with, for this data dir.
        let cmd = if config.data_dir == Path::new(".hospital") {
            "hospital-local".to_string()
        } else {
            format!(
                "HOSPITAL_DATA_DIR={} hospital-local",
                config.data_dir.display()
            )
        };
        let from = self.today - Duration::days(29);
        out += &format!(
            "Next:\n  {cmd} serve\n  TOKEN=$({cmd} token --role manager)\n  curl -s \"http://{}/v1/analytics/occupancy?from={from}&to={}\" -H \"Authorization: Bearer $TOKEN\"\n  {cmd} run-job long-stays     # reviews of long stays: GET /v1/reviews\n  {cmd} run-job daily-report   # e-mailed to the outbox folder when MANAGEMENT_EMAILS is set\n",
            config.addr, self.today
        );
        out
    }
}

/// Whether a store holds patients (then a demo does not go there).
pub async fn has_patients(store: &dyn Store) -> Result<bool, String> {
    let page = store
        .query(&Query::index(Index::Gsi1, Patient::KIND).limit(1))
        .await
        .map_err(|e| format!("reading the store: {e}"))?;
    Ok(!page.items.is_empty())
}

/// Why a store that holds a hospital is left alone, and where a demo can go instead.
fn refusal(config: &Config) -> String {
    match config.store {
        StoreKind::Embedded => format!(
            "the data dir {} already holds a hospital (its store has patients); a demo goes into an empty data dir only. \
             Point HOSPITAL_DATA_DIR at a new directory, e.g. `HOSPITAL_DATA_DIR=./.hospital-demo hospital-local demo-data` \
             (then serve it with the same variable), or remove {} to start over",
            config.data_dir.display(),
            config.data_dir.join(STORE_FILE).display()
        ),
        StoreKind::DynamoDb => format!(
            "the table {} already holds a hospital (it has patients); a demo goes into an empty table only. \
             Point HOSPITAL_TABLE at a new table, e.g. `HOSPITAL_TABLE=hospital-demo hospital-local demo-data`",
            config.table
        ),
    }
}

/// The embedded store's file in a data dir.
const STORE_FILE: &str = "hospital.redb";

/// Fills the configured (empty) store with the demo hospital.
///
/// The embedded store is built in a scratch directory on a RAM-backed file system
/// (`/dev/shm`) when there is one, then moved into the data dir whole: the store syncs every
/// commit to disk, and a 90-day history is some 45,000 commits — minutes of waiting on a disk,
/// none in memory. A run that fails or is interrupted leaves the data dir as it was.
pub async fn generate(config: &Config, options: &Options) -> Result<Summary, String> {
    if !DAYS.contains(&options.days) {
        return Err(format!(
            "--days must be from {} to {}",
            DAYS.start(),
            DAYS.end()
        ));
    }
    check_tables()?;
    let started = std::time::Instant::now();
    {
        let (store, _feed) = open_store(config).await.map_err(|e| {
            if e.contains("already open") {
                format!("{e} (is hospital-local serving this data dir? stop it first)")
            } else {
                e
            }
        })?;
        if has_patients(store.as_ref()).await? {
            return Err(refusal(config));
        }
    }
    let scratch = scratch_dir(config);
    let Some(dir) = scratch else {
        return build(config, options, started).await;
    };
    let in_scratch = Config {
        data_dir: dir.clone(),
        ..config.clone()
    };
    let result = match build(&in_scratch, options, started).await {
        Ok(summary) => move_store(&dir, &config.data_dir).map(|()| summary),
        Err(e) => Err(e),
    };
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A fresh directory on a RAM-backed file system, for the embedded store only.
fn scratch_dir(config: &Config) -> Option<PathBuf> {
    let shm = Path::new("/dev/shm");
    if config.store != StoreKind::Embedded || !shm.is_dir() {
        return None;
    }
    // What an interrupted run left (its process is gone) would hold memory until a reboot.
    for entry in std::fs::read_dir(shm).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name
            .strip_prefix("hospital-demo-")
            .and_then(|rest| rest.split('-').next())
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dir = shm.join(format!(
        "hospital-demo-{}-{}",
        std::process::id(),
        ulid::Ulid::new()
    ));
    std::fs::create_dir(&dir).ok().map(|()| dir)
}

/// Puts the store built in `from` in place in `to`: copied beside its place, synced, then
/// renamed over it (the empty store opened to check it).
fn move_store(from: &Path, to: &Path) -> Result<(), String> {
    let (src, dst) = (from.join(STORE_FILE), to.join(STORE_FILE));
    let tmp = to.join(format!("{STORE_FILE}.demo-partial"));
    let moved = (|| -> std::io::Result<()> {
        std::fs::create_dir_all(to)?;
        std::fs::copy(&src, &tmp)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &dst)
    })();
    moved.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("moving the demo store into {}: {e}", to.display())
    })
}

/// Generates the hospital into the store `config` names.
async fn build(
    config: &Config,
    options: &Options,
    started: std::time::Instant,
) -> Result<Summary, String> {
    let tz = parse_tz(&config.timezone)?;
    let now = options.now.unwrap_or_else(|| SystemClock.now());
    let today = now.with_timezone(&tz).date_naive();
    let clock = Arc::new(ScenarioClock::default());
    let first = today - Duration::days(i64::from(options.days));
    clock.set(Some(day_bounds(first, tz).0));
    let mut hospital = assemble_with_clock(config, clock.clone()).await?;
    // The generator relays the outbox itself (see the module's comment): the embedded store's
    // feed of committed records is not listened to.
    drop(hospital.feed.take());
    let ctx = hospital.ctx.clone();
    let result = async {
        let mut sim = Sim::new(ctx.clone(), clock, tz, options, first, today);
        sim.run().await?;
        Ok(sim.summary(options, started.elapsed()))
    }
    .await;
    // The bus holds the context, which holds the store: break the cycle so the store closes.
    hospital.bus.detach();
    drop(ctx);
    drop(hospital);
    result
}

/// `serve --demo`: a demo into an empty store; a filled one is served as it is. Answers the
/// summary when a demo was generated.
pub async fn prepare(config: &Config, options: &Options) -> Result<Option<Summary>, String> {
    let filled = {
        let (store, _feed) = open_store(config).await?;
        has_patients(store.as_ref()).await?
    };
    if filled {
        return Ok(None);
    }
    generate(config, options).await.map(Some)
}

// ================================================================ the fictional hospital

const CM: usize = 0;
const UTI: usize = 1;
const PED: usize = 2;
const CIR: usize = 3;
const MAT: usize = 4;

struct SectorDef {
    name: &'static str,
    floor: i32,
    kind: SectorKind,
    email: &'static str,
    prefix: &'static str,
    beds: &'static [(u32, BedKind)],
    /// Daily rate, any insurer and private pay.
    rate_cents: i64,
    /// Share of the sector's beds in service occupied at the census, most days.
    target: f64,
}

const SECTORS: [SectorDef; 5] = [
    SectorDef {
        name: "Clínica Médica",
        floor: 2,
        kind: SectorKind::Ward,
        email: "clinica.medica@santaclara.example",
        prefix: "CM",
        beds: &[(16, BedKind::Ward), (4, BedKind::PrivateRoom)],
        rate_cents: 85_000,
        target: 0.76,
    },
    SectorDef {
        name: "UTI Adulto",
        floor: 3,
        kind: SectorKind::Icu,
        email: "uti.adulto@santaclara.example",
        prefix: "UTI",
        beds: &[(10, BedKind::AdultIcu)],
        rate_cents: 320_000,
        target: 0.76,
    },
    SectorDef {
        name: "Pediatria",
        floor: 4,
        kind: SectorKind::Ward,
        email: "pediatria@santaclara.example",
        prefix: "PED",
        beds: &[(8, BedKind::Ward), (2, BedKind::PrivateRoom)],
        rate_cents: 90_000,
        target: 0.66,
    },
    SectorDef {
        name: "Cirurgia",
        floor: 5,
        kind: SectorKind::Surgical,
        email: "cirurgia@santaclara.example",
        prefix: "CIR",
        beds: &[(8, BedKind::Ward), (4, BedKind::PrivateRoom)],
        rate_cents: 110_000,
        target: 0.72,
    },
    SectorDef {
        name: "Maternidade",
        floor: 6,
        kind: SectorKind::Maternity,
        email: "maternidade@santaclara.example",
        prefix: "MAT",
        beds: &[
            (5, BedKind::Ward),
            (1, BedKind::PrivateRoom),
            (2, BedKind::NeonatalIcu),
        ],
        rate_cents: 95_000,
        target: 0.74,
    },
];

const S_CM: usize = 0;
const S_CARDIO: usize = 1;
const S_PED: usize = 2;
const S_GO: usize = 3;
const S_ORTO: usize = 4;
const S_DERMA: usize = 5;
const S_CIR: usize = 9;
const S_UTI: usize = 10;

struct SpecDef {
    name: &'static str,
    description: &'static str,
    /// Outpatient appointments a weekday and a Saturday.
    weekday: u32,
    saturday: u32,
    consult_cents: i64,
    exams: &'static [&'static str],
    rx: &'static [ItemDef],
}

/// One item of a prescription as the hospital writes it: `per_day` units of stock a day.
struct ItemDef {
    med: &'static str,
    dose: &'static str,
    unit: &'static str,
    freq: &'static str,
    per_day: i64,
    route: AdministrationRoute,
    days: u32,
}

const fn item(
    med: &'static str,
    dose: &'static str,
    unit: &'static str,
    freq: &'static str,
    per_day: i64,
    route: AdministrationRoute,
    days: u32,
) -> ItemDef {
    ItemDef {
        med,
        dose,
        unit,
        freq,
        per_day,
        route,
        days,
    }
}

use AdministrationRoute::{Inhalation, Intravenous, Oral, Subcutaneous};

const DIPIRONA_CP: &str = "Dipirona Sódica 500 mg";
const DIPIRONA_AMP: &str = "Dipirona Sódica 1 g/2 mL";
const PARACETAMOL: &str = "Paracetamol 750 mg";
const AMOXICILINA: &str = "Amoxicilina 500 mg";
const AMOX_CLAV: &str = "Amoxicilina + Clavulanato de Potássio 875 mg + 125 mg";
const CEFTRIAXONA: &str = "Ceftriaxona 1 g";
const AZITROMICINA: &str = "Azitromicina 500 mg";
const CIPRO: &str = "Ciprofloxacino 500 mg";
const PIPTAZO: &str = "Piperacilina + Tazobactam 4 g + 500 mg";
const VANCO: &str = "Vancomicina 500 mg";
const OMEPRAZOL_CP: &str = "Omeprazol 20 mg";
const OMEPRAZOL_IV: &str = "Omeprazol Sódico 40 mg";
const ONDANSETRONA: &str = "Ondansetrona 4 mg/2 mL";
const ENOXAPARINA: &str = "Enoxaparina Sódica 40 mg";
const FUROSEMIDA_CP: &str = "Furosemida 40 mg";
const FUROSEMIDA_AMP: &str = "Furosemida 20 mg/2 mL";
const LOSARTANA: &str = "Losartana Potássica 50 mg";
const AAS: &str = "Ácido Acetilsalicílico 100 mg";
const CLOPIDOGREL: &str = "Clopidogrel 75 mg";
const SINVASTATINA: &str = "Sinvastatina 20 mg";
const METFORMINA: &str = "Metformina 850 mg";
const INSULINA: &str = "Insulina Humana NPH 100 UI/mL";
const SALBUTAMOL: &str = "Salbutamol 100 mcg/dose";
const PREDNISONA: &str = "Prednisona 20 mg";
const HIDROCORTISONA: &str = "Hidrocortisona 100 mg";
const MORFINA: &str = "Morfina 10 mg/mL";
const TRAMADOL: &str = "Tramadol 50 mg";
const SORO: &str = "Cloreto de Sódio 0,9% 500 mL";
const OCITOCINA: &str = "Ocitocina 5 UI/mL";
const CEFALEXINA: &str = "Cefalexina 500 mg";

/// The two medications whose stock ends under five days of use (a lot recalled, the supplier
/// late): what the coverage indicator (AD05) is for.
const SHORT: [&str; 2] = [PIPTAZO, ENOXAPARINA];

#[rustfmt::skip]
const SPECS: [SpecDef; 11] = [
    SpecDef {
        name: "Clínica Médica",
        description: "Atendimento clínico de adultos, acompanhamento de doenças crônicas.",
        weekday: 8,
        saturday: 3,
        consult_cents: 22_000,
        exams: &["Hemograma completo", "Glicemia de jejum", "Creatinina", "Urina tipo 1", "TSH"],
        rx: &[
            item(LOSARTANA, "50", "mg", "1 vez ao dia", 1, Oral, 30),
            item(OMEPRAZOL_CP, "20", "mg", "em jejum", 1, Oral, 28),
            item(DIPIRONA_CP, "500", "mg", "de 6 em 6 horas se dor", 4, Oral, 3),
        ],
    },
    SpecDef {
        name: "Cardiologia",
        description: "Doenças do coração e da circulação.",
        weekday: 6,
        saturday: 0,
        consult_cents: 28_000,
        exams: &["Eletrocardiograma", "Ecocardiograma transtorácico", "Perfil lipídico", "Teste ergométrico"],
        rx: &[
            item(AAS, "100", "mg", "1 vez ao dia", 1, Oral, 30),
            item(SINVASTATINA, "20", "mg", "à noite", 1, Oral, 30),
            item(LOSARTANA, "50", "mg", "de 12 em 12 horas", 2, Oral, 30),
            item(FUROSEMIDA_CP, "40", "mg", "1 vez ao dia pela manhã", 1, Oral, 30),
        ],
    },
    SpecDef {
        name: "Pediatria",
        description: "Saúde da criança e do adolescente.",
        weekday: 6,
        saturday: 3,
        consult_cents: 22_000,
        exams: &["Hemograma completo", "Parasitológico de fezes", "Urina tipo 1"],
        rx: &[
            item(AMOXICILINA, "500", "mg", "de 8 em 8 horas", 3, Oral, 7),
            item(PARACETAMOL, "750", "mg", "de 6 em 6 horas se febre", 2, Oral, 3),
        ],
    },
    SpecDef {
        name: "Ginecologia e Obstetrícia",
        description: "Saúde da mulher, pré-natal e parto.",
        weekday: 6,
        saturday: 2,
        consult_cents: 24_000,
        exams: &["Ultrassonografia obstétrica", "Citologia oncótica (Papanicolau)", "Mamografia bilateral", "Hemograma completo"],
        rx: &[
            item(CEFALEXINA, "500", "mg", "de 6 em 6 horas", 4, Oral, 7),
            item(PARACETAMOL, "750", "mg", "de 8 em 8 horas se dor", 2, Oral, 3),
        ],
    },
    SpecDef {
        name: "Ortopedia e Traumatologia",
        description: "Ossos, articulações, músculos e traumas.",
        weekday: 5,
        saturday: 0,
        consult_cents: 25_000,
        exams: &["Raio-X de joelho", "Ressonância magnética de joelho", "Raio-X de coluna lombar"],
        rx: &[
            item(TRAMADOL, "50", "mg", "de 8 em 8 horas se dor", 2, Oral, 5),
            item(DIPIRONA_CP, "500", "mg", "de 6 em 6 horas", 4, Oral, 5),
            item(PREDNISONA, "20", "mg", "1 vez ao dia", 1, Oral, 5),
        ],
    },
    SpecDef {
        name: "Dermatologia",
        description: "Pele, cabelos e unhas.",
        weekday: 4,
        saturday: 0,
        consult_cents: 24_000,
        exams: &["Biópsia de pele (anatomopatológico)"],
        rx: &[
            item(PREDNISONA, "20", "mg", "1 vez ao dia", 1, Oral, 7),
            item(CEFALEXINA, "500", "mg", "de 6 em 6 horas", 4, Oral, 7),
        ],
    },
    SpecDef {
        name: "Endocrinologia",
        description: "Diabetes, tireoide e outras doenças hormonais.",
        weekday: 3,
        saturday: 0,
        consult_cents: 26_000,
        exams: &["Hemoglobina glicada", "TSH", "Glicemia de jejum"],
        rx: &[
            item(METFORMINA, "850", "mg", "de 12 em 12 horas", 2, Oral, 30),
            item(INSULINA, "10", "UI", "1 frasco por mês", 1, Subcutaneous, 1),
        ],
    },
    SpecDef {
        name: "Neurologia",
        description: "Cérebro, nervos e medula.",
        weekday: 3,
        saturday: 0,
        consult_cents: 30_000,
        exams: &["Ressonância magnética de crânio", "Eletroencefalograma", "Tomografia de crânio"],
        rx: &[item(
            PARACETAMOL,
            "750",
            "mg",
            "de 8 em 8 horas se dor",
            3,
            Oral,
            5,
        )],
    },
    SpecDef {
        name: "Pneumologia",
        description: "Pulmões e vias respiratórias.",
        weekday: 3,
        saturday: 0,
        consult_cents: 27_000,
        exams: &["Espirometria", "Raio-X de tórax", "Tomografia de tórax"],
        rx: &[
            item(SALBUTAMOL, "2", "jatos", "de 6 em 6 horas se falta de ar", 1, Inhalation, 1),
            item(AZITROMICINA, "500", "mg", "1 vez ao dia", 1, Oral, 3),
            item(PREDNISONA, "40", "mg", "1 vez ao dia", 2, Oral, 5),
        ],
    },
    SpecDef {
        name: "Cirurgia Geral",
        description: "Avaliação e acompanhamento cirúrgico.",
        weekday: 3,
        saturday: 0,
        consult_cents: 26_000,
        exams: &["Ultrassonografia de abdome total", "Hemograma completo", "Coagulograma"],
        rx: &[
            item(DIPIRONA_CP, "500", "mg", "de 6 em 6 horas se dor", 4, Oral, 3),
            item(CEFALEXINA, "500", "mg", "de 6 em 6 horas", 4, Oral, 7),
        ],
    },
    SpecDef {
        name: "Medicina Intensiva",
        description: "Cuidado de pacientes críticos (UTI).",
        weekday: 0,
        saturday: 0,
        consult_cents: 0,
        exams: &[],
        rx: &[],
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExamKind {
    Lab,
    Culture,
    Imaging,
    Pathology,
}

struct ExamDef {
    name: &'static str,
    kind: ExamKind,
    /// Billed on its own when done for an outpatient.
    price_cents: Option<i64>,
}

const fn exam(name: &'static str, kind: ExamKind, price_cents: Option<i64>) -> ExamDef {
    ExamDef {
        name,
        kind,
        price_cents,
    }
}

#[rustfmt::skip]
const EXAMS: [ExamDef; 33] = [
    exam("Hemograma completo", ExamKind::Lab, None),
    exam("Glicemia de jejum", ExamKind::Lab, None),
    exam("Creatinina", ExamKind::Lab, None),
    exam("Urina tipo 1", ExamKind::Lab, None),
    exam("TSH", ExamKind::Lab, None),
    exam("Perfil lipídico", ExamKind::Lab, None),
    exam("Hemoglobina glicada", ExamKind::Lab, None),
    exam("Proteína C reativa", ExamKind::Lab, None),
    exam("Troponina", ExamKind::Lab, None),
    exam("Gasometria arterial", ExamKind::Lab, None),
    exam("Eletrólitos (sódio e potássio)", ExamKind::Lab, None),
    exam("Coagulograma", ExamKind::Lab, None),
    exam("Parasitológico de fezes", ExamKind::Lab, None),
    exam("Lactato", ExamKind::Lab, None),
    exam("Hemocultura", ExamKind::Culture, None),
    exam("Urocultura", ExamKind::Culture, None),
    exam("Raio-X de tórax", ExamKind::Imaging, Some(12_000)),
    exam("Raio-X de joelho", ExamKind::Imaging, Some(11_000)),
    exam("Raio-X de coluna lombar", ExamKind::Imaging, Some(13_000)),
    exam("Tomografia de tórax", ExamKind::Imaging, Some(65_000)),
    exam("Tomografia de crânio", ExamKind::Imaging, Some(60_000)),
    exam("Ressonância magnética de crânio", ExamKind::Imaging, Some(110_000)),
    exam("Ressonância magnética de joelho", ExamKind::Imaging, Some(95_000)),
    exam("Ultrassonografia de abdome total", ExamKind::Imaging, Some(28_000)),
    exam("Ultrassonografia obstétrica", ExamKind::Imaging, Some(22_000)),
    exam("Ecocardiograma transtorácico", ExamKind::Imaging, Some(35_000)),
    exam("Mamografia bilateral", ExamKind::Imaging, Some(22_000)),
    exam("Eletrocardiograma", ExamKind::Imaging, Some(8_000)),
    exam("Teste ergométrico", ExamKind::Imaging, Some(24_000)),
    exam("Espirometria", ExamKind::Imaging, Some(18_000)),
    exam("Eletroencefalograma", ExamKind::Imaging, Some(26_000)),
    exam("Biópsia de pele (anatomopatológico)", ExamKind::Pathology, Some(42_000)),
    exam("Citologia oncótica (Papanicolau)", ExamKind::Pathology, Some(9_000)),
];

struct MedDef {
    name: &'static str,
    ingredient: &'static str,
    presentation: &'static str,
    manufacturer: &'static str,
    unit: &'static str,
}

const fn med(
    name: &'static str,
    ingredient: &'static str,
    presentation: &'static str,
    manufacturer: &'static str,
    unit: &'static str,
) -> MedDef {
    MedDef {
        name,
        ingredient,
        presentation,
        manufacturer,
        unit,
    }
}

const AURORA: &str = "Aurora Genéricos";
const PAULISTA: &str = "Farmaquímica Paulista";
const BIONACIONAL: &str = "BioNacional Farmacêutica";
const MEDSUL: &str = "Medsul Indústria Farmacêutica";

#[rustfmt::skip]
const MEDS: [MedDef; 30] = [
    med(DIPIRONA_CP, "dipirona sódica", "comprimido 500 mg", AURORA, "comprimido"),
    med(DIPIRONA_AMP, "dipirona sódica", "solução injetável 500 mg/mL, ampola de 2 mL", PAULISTA, "ampola"),
    med(PARACETAMOL, "paracetamol", "comprimido 750 mg", AURORA, "comprimido"),
    med(AMOXICILINA, "amoxicilina", "cápsula 500 mg", BIONACIONAL, "cápsula"),
    med(AMOX_CLAV, "amoxicilina + clavulanato de potássio", "comprimido revestido 875 mg + 125 mg", BIONACIONAL, "comprimido"),
    med(CEFTRIAXONA, "ceftriaxona dissódica", "pó para solução injetável, frasco-ampola 1 g", PAULISTA, "frasco-ampola"),
    med(AZITROMICINA, "azitromicina di-hidratada", "comprimido revestido 500 mg", MEDSUL, "comprimido"),
    med(CIPRO, "cloridrato de ciprofloxacino", "comprimido revestido 500 mg", MEDSUL, "comprimido"),
    med(PIPTAZO, "piperacilina sódica + tazobactam sódico", "pó para solução injetável, frasco-ampola 4 g + 500 mg", PAULISTA, "frasco-ampola"),
    med(VANCO, "cloridrato de vancomicina", "pó para solução injetável, frasco-ampola 500 mg", PAULISTA, "frasco-ampola"),
    med(OMEPRAZOL_CP, "omeprazol", "cápsula de liberação retardada 20 mg", AURORA, "cápsula"),
    med(OMEPRAZOL_IV, "omeprazol sódico", "pó para solução injetável, frasco-ampola 40 mg", PAULISTA, "frasco-ampola"),
    med(ONDANSETRONA, "cloridrato de ondansetrona", "solução injetável 2 mg/mL, ampola de 2 mL", MEDSUL, "ampola"),
    med(ENOXAPARINA, "enoxaparina sódica", "solução injetável, seringa preenchida 40 mg/0,4 mL", BIONACIONAL, "seringa"),
    med(FUROSEMIDA_CP, "furosemida", "comprimido 40 mg", AURORA, "comprimido"),
    med(FUROSEMIDA_AMP, "furosemida", "solução injetável 10 mg/mL, ampola de 2 mL", PAULISTA, "ampola"),
    med(LOSARTANA, "losartana potássica", "comprimido revestido 50 mg", AURORA, "comprimido"),
    med(AAS, "ácido acetilsalicílico", "comprimido 100 mg", AURORA, "comprimido"),
    med(CLOPIDOGREL, "bissulfato de clopidogrel", "comprimido revestido 75 mg", MEDSUL, "comprimido"),
    med(SINVASTATINA, "sinvastatina", "comprimido revestido 20 mg", AURORA, "comprimido"),
    med(METFORMINA, "cloridrato de metformina", "comprimido 850 mg", AURORA, "comprimido"),
    med(INSULINA, "insulina humana isófana (NPH)", "suspensão injetável 100 UI/mL, frasco de 10 mL", BIONACIONAL, "frasco"),
    med(SALBUTAMOL, "sulfato de salbutamol", "aerossol 100 mcg/dose, frasco com 200 doses", MEDSUL, "frasco"),
    med(PREDNISONA, "prednisona", "comprimido 20 mg", AURORA, "comprimido"),
    med(HIDROCORTISONA, "succinato sódico de hidrocortisona", "pó para solução injetável, frasco-ampola 100 mg", PAULISTA, "frasco-ampola"),
    med(MORFINA, "sulfato de morfina", "solução injetável 10 mg/mL, ampola de 1 mL", PAULISTA, "ampola"),
    med(TRAMADOL, "cloridrato de tramadol", "cápsula 50 mg", MEDSUL, "cápsula"),
    med(SORO, "cloreto de sódio", "solução para infusão 0,9%, bolsa de 500 mL", BIONACIONAL, "bolsa"),
    med(OCITOCINA, "ocitocina", "solução injetável 5 UI/mL, ampola de 1 mL", PAULISTA, "ampola"),
    med(CEFALEXINA, "cefalexina", "cápsula 500 mg", BIONACIONAL, "cápsula"),
];

/// A reason for admission: where it arrives, the sectors its stay goes through (median days
/// in each), how it may end, and what it is prescribed and examined for.
struct DxDef {
    code: &'static str,
    text: &'static str,
    /// The sector it arrives in, and its weight among that sector's arrivals.
    sector: usize,
    weight: u32,
    legs: &'static [(usize, f64)],
    death: f64,
    readmit: f64,
    spec: usize,
    exams: &'static [&'static str],
    items: &'static [ItemDef],
}

#[rustfmt::skip]
const DXS: [DxDef; 27] = [
    // Clínica Médica
    DxDef {
        code: "J18.9",
        text: "Pneumonia não especificada",
        sector: CM,
        weight: 22,
        legs: &[(CM, 6.0)],
        death: 0.05,
        readmit: 0.14,
        spec: S_CM,
        exams: &["Hemograma completo", "Proteína C reativa", "Raio-X de tórax", "Hemocultura"],
        items: &[
            item(CEFTRIAXONA, "1", "g", "de 12 em 12 horas", 2, Intravenous, 7),
            item(AZITROMICINA, "500", "mg", "1 vez ao dia", 1, Oral, 5),
            item(DIPIRONA_AMP, "1", "g", "de 6 em 6 horas se febre", 3, Intravenous, 3),
        ],
    },
    DxDef {
        code: "N39.0",
        text: "Infecção do trato urinário de localização não especificada",
        sector: CM,
        weight: 15,
        legs: &[(CM, 4.0)],
        death: 0.01,
        readmit: 0.12,
        spec: S_CM,
        exams: &["Hemograma completo", "Urina tipo 1", "Urocultura"],
        items: &[
            item(CIPRO, "500", "mg", "de 12 em 12 horas", 2, Oral, 7),
            item(DIPIRONA_AMP, "1", "g", "de 6 em 6 horas se dor", 2, Intravenous, 2),
        ],
    },
    DxDef {
        code: "I50.9",
        text: "Insuficiência cardíaca não especificada",
        sector: CM,
        weight: 18,
        legs: &[(CM, 7.0)],
        death: 0.05,
        readmit: 0.30,
        spec: S_CM,
        exams: &["Hemograma completo", "Eletrólitos (sódio e potássio)", "Raio-X de tórax", "Ecocardiograma transtorácico"],
        items: &[
            item(FUROSEMIDA_AMP, "20", "mg", "de 12 em 12 horas", 2, Intravenous, 4),
            item(ENOXAPARINA, "40", "mg", "1 vez ao dia", 1, Subcutaneous, 7),
            item(LOSARTANA, "50", "mg", "1 vez ao dia", 1, Oral, 7),
        ],
    },
    DxDef {
        code: "J44.1",
        text: "Doença pulmonar obstrutiva crônica com exacerbação aguda não especificada",
        sector: CM,
        weight: 14,
        legs: &[(CM, 6.0)],
        death: 0.03,
        readmit: 0.28,
        spec: S_CM,
        exams: &["Gasometria arterial", "Raio-X de tórax", "Hemograma completo"],
        items: &[
            item(PREDNISONA, "40", "mg", "1 vez ao dia", 2, Oral, 5),
            item(SALBUTAMOL, "4", "jatos", "de 4 em 4 horas", 1, Inhalation, 1),
            item(AMOX_CLAV, "875", "mg", "de 12 em 12 horas", 2, Oral, 7),
        ],
    },
    DxDef {
        code: "I63.9",
        text: "Infarto cerebral não especificado",
        sector: CM,
        weight: 10,
        legs: &[(CM, 9.0)],
        death: 0.08,
        readmit: 0.05,
        spec: S_CM,
        exams: &["Tomografia de crânio", "Hemograma completo", "Eletrocardiograma"],
        items: &[
            item(AAS, "100", "mg", "1 vez ao dia", 1, Oral, 10),
            item(SINVASTATINA, "20", "mg", "à noite", 1, Oral, 10),
            item(ENOXAPARINA, "40", "mg", "1 vez ao dia", 1, Subcutaneous, 10),
        ],
    },
    DxDef {
        code: "K92.2",
        text: "Hemorragia gastrointestinal, sem outra especificação",
        sector: CM,
        weight: 8,
        legs: &[(CM, 5.0)],
        death: 0.04,
        readmit: 0.06,
        spec: S_CM,
        exams: &["Hemograma completo", "Coagulograma"],
        items: &[
            item(OMEPRAZOL_IV, "40", "mg", "de 12 em 12 horas", 2, Intravenous, 5),
            item(SORO, "500", "mL", "de 8 em 8 horas", 3, Intravenous, 2),
        ],
    },
    DxDef {
        code: "A41.9",
        text: "Septicemia não especificada",
        sector: CM,
        weight: 7,
        legs: &[(CM, 9.0)],
        death: 0.12,
        readmit: 0.15,
        spec: S_CM,
        exams: &["Hemograma completo", "Lactato", "Hemocultura", "Urocultura"],
        items: &[
            item(PIPTAZO, "4,5", "g", "de 6 em 6 horas", 4, Intravenous, 7),
            item(SORO, "500", "mL", "de 8 em 8 horas", 3, Intravenous, 3),
        ],
    },
    // UTI Adulto: arrive in the ICU, step down to the ward
    DxDef {
        code: "I21.9",
        text: "Infarto agudo do miocárdio não especificado",
        sector: UTI,
        weight: 30,
        legs: &[(UTI, 3.0), (CM, 4.0)],
        death: 0.06,
        readmit: 0.12,
        spec: S_UTI,
        exams: &["Troponina", "Eletrocardiograma", "Hemograma completo", "Ecocardiograma transtorácico"],
        items: &[
            item(AAS, "100", "mg", "1 vez ao dia", 1, Oral, 7),
            item(CLOPIDOGREL, "75", "mg", "1 vez ao dia", 1, Oral, 7),
            item(ENOXAPARINA, "40", "mg", "de 12 em 12 horas", 2, Subcutaneous, 5),
            item(MORFINA, "2", "mg", "de 4 em 4 horas se dor", 2, Intravenous, 2),
        ],
    },
    DxDef {
        code: "A41.9",
        text: "Septicemia não especificada",
        sector: UTI,
        weight: 30,
        legs: &[(UTI, 6.0), (CM, 5.0)],
        death: 0.20,
        readmit: 0.12,
        spec: S_UTI,
        exams: &["Hemograma completo", "Lactato", "Hemocultura", "Gasometria arterial"],
        items: &[
            item(PIPTAZO, "4,5", "g", "de 6 em 6 horas", 4, Intravenous, 7),
            item(VANCO, "1", "g", "de 12 em 12 horas", 4, Intravenous, 7),
            item(SORO, "500", "mL", "de 6 em 6 horas", 4, Intravenous, 3),
            item(OMEPRAZOL_IV, "40", "mg", "1 vez ao dia", 1, Intravenous, 7),
        ],
    },
    DxDef {
        code: "J96.0",
        text: "Insuficiência respiratória aguda",
        sector: UTI,
        weight: 20,
        legs: &[(UTI, 5.0), (CM, 4.0)],
        death: 0.15,
        readmit: 0.10,
        spec: S_UTI,
        exams: &["Gasometria arterial", "Raio-X de tórax", "Hemograma completo"],
        items: &[
            item(HIDROCORTISONA, "100", "mg", "de 8 em 8 horas", 3, Intravenous, 5),
            item(OMEPRAZOL_IV, "40", "mg", "1 vez ao dia", 1, Intravenous, 5),
            item(ENOXAPARINA, "40", "mg", "1 vez ao dia", 1, Subcutaneous, 7),
        ],
    },
    DxDef {
        code: "I61.9",
        text: "Hemorragia intracerebral não especificada",
        sector: UTI,
        weight: 10,
        legs: &[(UTI, 6.0), (CM, 7.0)],
        death: 0.20,
        readmit: 0.03,
        spec: S_UTI,
        exams: &["Tomografia de crânio", "Coagulograma", "Hemograma completo"],
        items: &[
            item(OMEPRAZOL_IV, "40", "mg", "1 vez ao dia", 1, Intravenous, 7),
            item(SORO, "500", "mL", "de 8 em 8 horas", 3, Intravenous, 3),
        ],
    },
    DxDef {
        code: "S06.5",
        text: "Hemorragia subdural devida a traumatismo",
        sector: UTI,
        weight: 10,
        legs: &[(UTI, 4.0), (CM, 5.0)],
        death: 0.10,
        readmit: 0.03,
        spec: S_UTI,
        exams: &["Tomografia de crânio", "Hemograma completo"],
        items: &[
            item(DIPIRONA_AMP, "1", "g", "de 6 em 6 horas", 4, Intravenous, 4),
            item(OMEPRAZOL_IV, "40", "mg", "1 vez ao dia", 1, Intravenous, 5),
        ],
    },
    // Pediatria
    DxDef {
        code: "J21.9",
        text: "Bronquiolite aguda não especificada",
        sector: PED,
        weight: 30,
        legs: &[(PED, 4.0)],
        death: 0.0,
        readmit: 0.10,
        spec: S_PED,
        exams: &["Hemograma completo", "Raio-X de tórax"],
        items: &[
            item(SALBUTAMOL, "2", "jatos", "de 4 em 4 horas", 1, Inhalation, 1),
            item(PARACETAMOL, "200", "mg", "de 6 em 6 horas se febre", 2, Oral, 3),
        ],
    },
    DxDef {
        code: "J18.9",
        text: "Pneumonia não especificada",
        sector: PED,
        weight: 25,
        legs: &[(PED, 5.0)],
        death: 0.0,
        readmit: 0.08,
        spec: S_PED,
        exams: &["Hemograma completo", "Proteína C reativa", "Raio-X de tórax"],
        items: &[
            item(CEFTRIAXONA, "1", "g", "1 vez ao dia", 1, Intravenous, 7),
            item(PARACETAMOL, "200", "mg", "de 6 em 6 horas se febre", 2, Oral, 3),
        ],
    },
    DxDef {
        code: "A09",
        text: "Diarreia e gastroenterite de origem infecciosa presumível",
        sector: PED,
        weight: 25,
        legs: &[(PED, 2.5)],
        death: 0.0,
        readmit: 0.06,
        spec: S_PED,
        exams: &["Hemograma completo", "Eletrólitos (sódio e potássio)", "Parasitológico de fezes"],
        items: &[
            item(SORO, "250", "mL", "de 8 em 8 horas", 3, Intravenous, 2),
            item(ONDANSETRONA, "2", "mg", "de 8 em 8 horas se vômitos", 2, Intravenous, 2),
        ],
    },
    DxDef {
        code: "J45.9",
        text: "Asma não especificada",
        sector: PED,
        weight: 20,
        legs: &[(PED, 3.0)],
        death: 0.0,
        readmit: 0.12,
        spec: S_PED,
        exams: &["Hemograma completo", "Raio-X de tórax"],
        items: &[
            item(SALBUTAMOL, "4", "jatos", "de 2 em 2 horas", 1, Inhalation, 1),
            item(PREDNISONA, "20", "mg", "1 vez ao dia", 1, Oral, 5),
        ],
    },
    // Cirurgia
    DxDef {
        code: "K35.8",
        text: "Apendicite aguda, outras e as não especificadas",
        sector: CIR,
        weight: 25,
        legs: &[(CIR, 2.5)],
        death: 0.002,
        readmit: 0.05,
        spec: S_CIR,
        exams: &["Hemograma completo", "Ultrassonografia de abdome total", "Coagulograma"],
        items: &[
            item(CEFTRIAXONA, "1", "g", "1 vez ao dia", 1, Intravenous, 3),
            item(DIPIRONA_AMP, "1", "g", "de 6 em 6 horas", 4, Intravenous, 3),
            item(TRAMADOL, "50", "mg", "de 8 em 8 horas se dor", 2, Oral, 3),
        ],
    },
    DxDef {
        code: "K80.2",
        text: "Calculose da vesícula biliar sem colecistite",
        sector: CIR,
        weight: 20,
        legs: &[(CIR, 2.0)],
        death: 0.0,
        readmit: 0.02,
        spec: S_CIR,
        exams: &["Hemograma completo", "Ultrassonografia de abdome total", "Coagulograma"],
        items: &[
            item(DIPIRONA_AMP, "1", "g", "de 6 em 6 horas", 4, Intravenous, 2),
            item(ONDANSETRONA, "4", "mg", "de 8 em 8 horas se náuseas", 2, Intravenous, 2),
            item(OMEPRAZOL_IV, "40", "mg", "1 vez ao dia", 1, Intravenous, 2),
        ],
    },
    DxDef {
        code: "S72.0",
        text: "Fratura do colo do fêmur",
        sector: CIR,
        weight: 15,
        legs: &[(CIR, 8.0)],
        death: 0.04,
        readmit: 0.08,
        spec: S_ORTO,
        exams: &["Hemograma completo", "Coagulograma", "Eletrocardiograma", "Raio-X de tórax"],
        items: &[
            item(ENOXAPARINA, "40", "mg", "1 vez ao dia", 1, Subcutaneous, 10),
            item(TRAMADOL, "50", "mg", "de 6 em 6 horas", 4, Oral, 5),
            item(MORFINA, "2", "mg", "de 4 em 4 horas se dor intensa", 2, Intravenous, 2),
        ],
    },
    DxDef {
        code: "K40.9",
        text: "Hérnia inguinal unilateral ou não especificada, sem obstrução ou gangrena",
        sector: CIR,
        weight: 15,
        legs: &[(CIR, 1.5)],
        death: 0.0,
        readmit: 0.02,
        spec: S_CIR,
        exams: &["Hemograma completo", "Coagulograma"],
        items: &[
            item(DIPIRONA_AMP, "1", "g", "de 6 em 6 horas", 4, Intravenous, 1),
            item(CEFALEXINA, "500", "mg", "de 6 em 6 horas", 4, Oral, 2),
        ],
    },
    DxDef {
        code: "M17.1",
        text: "Outras gonartroses primárias",
        sector: CIR,
        weight: 10,
        legs: &[(CIR, 4.0)],
        death: 0.0,
        readmit: 0.03,
        spec: S_ORTO,
        exams: &["Hemograma completo", "Coagulograma", "Raio-X de joelho"],
        items: &[
            item(ENOXAPARINA, "40", "mg", "1 vez ao dia", 1, Subcutaneous, 10),
            item(TRAMADOL, "50", "mg", "de 8 em 8 horas", 3, Oral, 5),
            item(CEFALEXINA, "500", "mg", "de 6 em 6 horas", 4, Oral, 3),
        ],
    },
    DxDef {
        code: "K56.6",
        text: "Outras formas de obstrução intestinal, e as não especificadas",
        sector: CIR,
        weight: 8,
        legs: &[(CIR, 1.0), (UTI, 2.0), (CIR, 5.0)],
        death: 0.05,
        readmit: 0.05,
        spec: S_CIR,
        exams: &["Hemograma completo", "Lactato", "Tomografia de tórax"],
        items: &[
            item(SORO, "500", "mL", "de 6 em 6 horas", 4, Intravenous, 4),
            item(OMEPRAZOL_IV, "40", "mg", "1 vez ao dia", 1, Intravenous, 5),
            item(MORFINA, "2", "mg", "de 4 em 4 horas se dor", 2, Intravenous, 3),
        ],
    },
    // Maternidade
    DxDef {
        code: "O80",
        text: "Parto único espontâneo",
        sector: MAT,
        weight: 45,
        legs: &[(MAT, 2.0)],
        death: 0.0,
        readmit: 0.01,
        spec: S_GO,
        exams: &["Hemograma completo"],
        items: &[
            item(OCITOCINA, "5", "UI", "dose única após o parto", 1, Intravenous, 1),
            item(DIPIRONA_CP, "500", "mg", "de 6 em 6 horas se dor", 4, Oral, 2),
        ],
    },
    DxDef {
        code: "O82",
        text: "Parto único por cesariana",
        sector: MAT,
        weight: 35,
        legs: &[(MAT, 3.0)],
        death: 0.0,
        readmit: 0.02,
        spec: S_GO,
        exams: &["Hemograma completo", "Coagulograma"],
        items: &[
            item(OCITOCINA, "5", "UI", "de 12 em 12 horas", 2, Intravenous, 1),
            item(DIPIRONA_AMP, "1", "g", "de 6 em 6 horas", 4, Intravenous, 2),
            item(ENOXAPARINA, "40", "mg", "1 vez ao dia", 1, Subcutaneous, 3),
        ],
    },
    DxDef {
        code: "O14.1",
        text: "Pré-eclâmpsia grave",
        sector: MAT,
        weight: 10,
        legs: &[(MAT, 5.0)],
        death: 0.0,
        readmit: 0.08,
        spec: S_GO,
        exams: &["Hemograma completo", "Creatinina", "Urina tipo 1", "Ultrassonografia obstétrica"],
        items: &[item(
            DIPIRONA_CP,
            "500",
            "mg",
            "de 6 em 6 horas se dor",
            2,
            Oral,
            3,
        )],
    },
    DxDef {
        code: "O47.0",
        text: "Falso trabalho de parto antes de 37 semanas completas de gestação",
        sector: MAT,
        weight: 10,
        legs: &[(MAT, 1.0)],
        death: 0.0,
        readmit: 0.05,
        spec: S_GO,
        exams: &["Ultrassonografia obstétrica"],
        items: &[],
    },
    // Newborns: admitted at birth, never drawn as an arrival.
    DxDef {
        code: "P07.3",
        text: "Outros recém-nascidos de pré-termo",
        sector: MAT,
        weight: 0,
        legs: &[(MAT, 14.0)],
        death: 0.0,
        readmit: 0.0,
        spec: S_PED,
        exams: &["Hemograma completo", "Gasometria arterial"],
        items: &[],
    },
];

/// The diagnosis of the newborns and of the long stays awaiting a place elsewhere.
const NEWBORN_DX: usize = 26;
const STROKE_DX: usize = 4;

struct InsurerDef {
    name: &'static str,
    plan: PlanType,
    email: &'static str,
    terms: u32,
    /// Share of its bills never paid (in the history), and its patients' weight.
    unpaid: f64,
    weight: u32,
}

const INSURERS: [InsurerDef; 6] = [
    InsurerDef {
        name: "Aurora Saúde",
        plan: PlanType::Corporate,
        email: "faturamento@aurorasaude.example",
        terms: 30,
        unpaid: 0.04,
        weight: 25,
    },
    InsurerDef {
        name: "Vida Plena Assistência Médica",
        plan: PlanType::Individual,
        email: "contas@vidaplena.example",
        terms: 30,
        unpaid: 0.06,
        weight: 20,
    },
    InsurerDef {
        name: "Cuidar+ Planos de Saúde",
        plan: PlanType::Family,
        email: "faturamento@cuidarmais.example",
        terms: 20,
        unpaid: 0.05,
        weight: 16,
    },
    InsurerDef {
        name: "Horizonte Saúde",
        plan: PlanType::Corporate,
        email: "prestadores@horizontesaude.example",
        terms: 45,
        unpaid: 0.07,
        weight: 12,
    },
    InsurerDef {
        name: "Mútua Paulista de Saúde",
        plan: PlanType::Family,
        email: "faturamento@mutuapaulista.example",
        terms: 15,
        unpaid: 0.08,
        weight: 10,
    },
    InsurerDef {
        name: "Serra Azul Saúde",
        plan: PlanType::Individual,
        email: "contas.medicas@serraazul.example",
        terms: 15,
        unpaid: 0.30,
        weight: 8,
    },
];

/// Private pay's share of patients (by weight against the insurers').
const PRIVATE_WEIGHT: u32 = 52;
/// Private pay: due in a week; most pay at the desk.
const PRIVATE_TERMS: i64 = 7;
const PRIVATE_UNPAID: f64 = 0.12;

const DOCTORS: [(&str, &[usize]); 25] = [
    ("Ana Paula Ribeiro", &[S_CM]),
    ("Carlos Eduardo Mendes", &[S_CM, S_UTI]),
    ("Fernanda Lima Castro", &[S_CM]),
    ("Roberto Tavares Nogueira", &[S_CARDIO]),
    ("Juliana Moreira Prado", &[S_CARDIO, S_CM]),
    ("Marcelo Azevedo Pires", &[S_UTI]),
    ("Patrícia Gomes Bastos", &[S_UTI, S_CM]),
    ("Luciana Farias Melo", &[S_PED]),
    ("Ricardo Almeida Souto", &[S_PED]),
    ("Camila Rezende Duarte", &[S_PED]),
    ("Beatriz Santana Lopes", &[S_GO]),
    ("Renata Carvalho Viana", &[S_GO]),
    ("Gustavo Henrique Rocha", &[S_GO]),
    ("Eduardo Sampaio Leal", &[S_ORTO]),
    ("Thiago Martins Barreto", &[S_ORTO]),
    ("Mariana Costa Figueiredo", &[S_DERMA]),
    ("Helena Vasconcelos Dias", &[S_DERMA]),
    ("Paulo César Antunes", &[6, S_CM]),
    ("Sílvia Regina Teles", &[6]),
    ("André Luiz Fonseca", &[7]),
    ("Cláudia Medeiros Sales", &[7]),
    ("Fábio Rangel Cunha", &[8, S_CM]),
    ("Vanessa Borges Aguiar", &[8]),
    ("Rodrigo Queiroz Matos", &[S_CIR]),
    ("Lúcia Helena Paiva", &[S_CIR]),
];

const STAFF: [(&str, StaffRole, Option<usize>); 20] = [
    ("Aline Cristina Barros", StaffRole::Nurse, Some(CM)),
    ("Jéssica Pereira Nunes", StaffRole::Nurse, Some(CM)),
    ("Márcio Antônio Freitas", StaffRole::Nurse, Some(UTI)),
    ("Daniela Souza Campos", StaffRole::Nurse, Some(UTI)),
    ("Priscila Andrade Lima", StaffRole::Nurse, Some(PED)),
    ("Tatiane Gomes Rocha", StaffRole::Nurse, Some(PED)),
    ("Leandro Batista Cruz", StaffRole::Nurse, Some(CIR)),
    ("Sandra Regina Moura", StaffRole::Nurse, Some(CIR)),
    ("Elaine Cardoso Reis", StaffRole::Nurse, Some(MAT)),
    ("Viviane Araújo Pinto", StaffRole::Nurse, Some(MAT)),
    ("Rafael Oliveira Santos", StaffRole::Technician, Some(UTI)),
    ("Bruno Henrique Alves", StaffRole::Technician, Some(CIR)),
    ("Kelly Cristina Matos", StaffRole::Receptionist, None),
    ("Douglas Ferreira Silva", StaffRole::Receptionist, None),
    ("Natália Ribeiro Costa", StaffRole::Receptionist, None),
    ("Sérgio Luiz Moreira", StaffRole::Pharmacist, None),
    ("Adriana Teixeira Melo", StaffRole::Pharmacist, None),
    ("Cristiane Lopes Araújo", StaffRole::Billing, None),
    ("Wagner Luís Pacheco", StaffRole::Billing, None),
    ("Mônica Vieira Dantas", StaffRole::Manager, None),
];

#[rustfmt::skip]
const FEMALE: [&str; 48] = [
    "Maria", "Ana", "Francisca", "Antônia", "Adriana", "Juliana", "Márcia", "Fernanda", "Patrícia",
    "Aline", "Sandra", "Camila", "Amanda", "Bruna", "Jéssica", "Letícia", "Júlia", "Luciana",
    "Vanessa", "Mariana", "Gabriela", "Vera", "Vitória", "Larissa", "Cláudia", "Beatriz", "Luana",
    "Rita", "Sônia", "Renata", "Eliane", "Rafaela", "Simone", "Daniela", "Carla", "Isabela",
    "Manuela", "Helena", "Alice", "Laura", "Valentina", "Sophia", "Lívia", "Heloísa", "Cecília",
    "Lorena", "Raimunda", "Tereza",
];

#[rustfmt::skip]
const MALE: [&str; 48] = [
    "José", "João", "Antônio", "Francisco", "Carlos", "Paulo", "Pedro", "Lucas", "Luiz", "Marcos",
    "Luís", "Gabriel", "Rafael", "Daniel", "Marcelo", "Bruno", "Eduardo", "Felipe", "Raimundo",
    "Rodrigo", "Manoel", "Mateus", "André", "Fernando", "Fábio", "Leonardo", "Gustavo", "Guilherme",
    "Leandro", "Tiago", "Anderson", "Ricardo", "Márcio", "Jorge", "Sebastião", "Alexandre",
    "Roberto", "Edson", "Diego", "Vitor", "Sérgio", "Cláudio", "Miguel", "Arthur", "Heitor", "Davi",
    "Bernardo", "Samuel",
];

#[rustfmt::skip]
const SURNAMES: [&str; 48] = [
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
    "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes",
    "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques",
    "Machado", "Mendes", "Freitas", "Cardoso", "Ramos", "Gonçalves", "Santana", "Teixeira",
    "Araújo", "Pinto", "Cavalcanti", "Monteiro", "Correia", "Batista", "Moura", "Campos", "Barros",
    "Azevedo", "Cunha", "Pires", "Castro",
];

#[rustfmt::skip]
const DISTRICTS: [&str; 16] = [
    "Vila Mariana", "Moema", "Pinheiros", "Tatuapé", "Santana", "Butantã", "Mooca", "Ipiranga",
    "Lapa", "Perdizes", "Itaquera", "Santo Amaro", "Jabaquara", "Penha", "Saúde", "Vila Prudente",
];

#[rustfmt::skip]
const STREETS: [&str; 16] = [
    "Rua das Acácias", "Rua dos Jasmins", "Avenida Brasil", "Rua São Bento", "Rua Tiradentes",
    "Rua Sete de Setembro", "Rua XV de Novembro", "Avenida Santo Amaro", "Rua Domingos de Morais",
    "Rua Vergueiro", "Rua das Palmeiras", "Rua Bela Cintra", "Avenida Sapopemba",
    "Rua Voluntários da Pátria", "Rua Cardeal Arcoverde", "Rua Augusta",
];

const CITIES: [&str; 5] = [
    "São Paulo",
    "Guarulhos",
    "Osasco",
    "Santo André",
    "São Bernardo do Campo",
];

const ALLERGIES: [&str; 7] = [
    "Dipirona",
    "Penicilina",
    "Sulfa",
    "Látex",
    "Frutos do mar",
    "Ácido acetilsalicílico",
    "Iodo",
];

/// Every name a table refers to by name must be in its table (checked before anything is
/// written: a typo here is the generator's bug, not the user's).
fn check_tables() -> Result<(), String> {
    let mut items: Vec<&ItemDef> = SPECS.iter().flat_map(|s| s.rx.iter()).collect();
    items.extend(DXS.iter().flat_map(|d| d.items.iter()));
    for i in items {
        if !MEDS.iter().any(|m| m.name == i.med) {
            return Err(format!("demo tables: no medication {:?}", i.med));
        }
    }
    let exams = SPECS
        .iter()
        .flat_map(|s| s.exams.iter())
        .chain(DXS.iter().flat_map(|d| d.exams.iter()));
    for e in exams {
        if !EXAMS.iter().any(|x| x.name == *e) {
            return Err(format!("demo tables: no exam {e:?}"));
        }
    }
    if DXS[NEWBORN_DX].code != "P07.3" || DXS[STROKE_DX].code != "I63.9" {
        return Err("demo tables: diagnosis indices moved".into());
    }
    Ok(())
}

fn med_index(name: &str) -> usize {
    MEDS.iter().position(|m| m.name == name).unwrap_or(0)
}

fn exam_index(name: &str) -> usize {
    EXAMS.iter().position(|e| e.name == name).unwrap_or(0)
}

// ================================================================ the simulation

/// What happens at an instant. Indices point into the model's vectors.
#[derive(Debug, Clone, Copy)]
enum Act {
    DayStart(NaiveDate),
    DayEnd,
    Register(usize),
    Book(usize),
    CheckIn(usize),
    Fulfil(usize),
    NoShow(usize),
    CancelAppointment(usize),
    BillAppointment(usize),
    BillExam(usize),
    RequestExam(usize),
    StartExam(usize),
    CompleteExam(usize),
    CancelExam(usize),
    Prescribe(usize),
    Dispense(usize, usize),
    CompletePrescription(usize),
    CancelPrescription(usize),
    Admit(usize),
    Step(usize),
    EnteredInError(usize),
    Birth(usize),
    BedReady(usize),
    BedOut(usize, BedStatus),
    BedBack(usize),
    Restock(usize),
    Recall(usize),
    Pay(usize),
    CancelBill(usize),
}

/// A queued action: taken in order of time, then of rank (a day's planning first, its
/// relay last), then of queueing.
struct Slot {
    at: DateTime<Utc>,
    rank: u8,
    seq: u64,
    act: Act,
}

impl PartialEq for Slot {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.rank, self.seq) == (o.at, o.rank, o.seq)
    }
}
impl Eq for Slot {}
impl PartialOrd for Slot {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Slot {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.rank, self.seq).cmp(&(o.at, o.rank, o.seq))
    }
}

struct BedM {
    id: String,
    sector: usize,
    kind: BedKind,
    status: BedStatus,
    since: DateTime<Utc>,
    /// When its cleaning ends (while `cleaning`).
    ready_at: Option<DateTime<Utc>>,
    /// A maintenance or block waiting for the bed to empty.
    out_wanted: bool,
}

struct PatM {
    id: Option<String>,
    full_name: String,
    cpf: String,
    birth: NaiveDate,
    sex: Sex,
    insurer: Option<usize>,
    registered_at: DateTime<Utc>,
    phone: Option<String>,
    email: Option<String>,
    contact: Option<EmergencyContact>,
    allergies: Vec<Allergy>,
    address: Option<Address>,
    alive: bool,
    admitted: Option<usize>,
    last_discharge: Option<DateTime<Utc>>,
    delivered: bool,
    newborn: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Fulfilled,
    NoShow,
    Cancelled,
    Ahead,
}

struct ApptM {
    patient: usize,
    doctor: usize,
    spec: usize,
    start: DateTime<Utc>,
    outcome: Outcome,
    id: Option<String>,
}

struct ExamM {
    patient: usize,
    doctor: usize,
    def: usize,
    priority: Priority,
    admission: Option<usize>,
    id: Option<String>,
    status: ExamStatus,
}

struct RxM {
    patient: usize,
    doctor: usize,
    admission: Option<usize>,
    items: Vec<&'static ItemDef>,
    /// Days of each item dispensed so far.
    days_done: Vec<u32>,
    id: Option<String>,
    active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AdmState {
    Planned,
    Open,
    Done,
    Dropped,
}

struct AdmM {
    patient: Option<usize>,
    dx: usize,
    /// Sector and hours of each leg of the stay.
    legs: Vec<(usize, f64)>,
    leg: usize,
    bed: Option<usize>,
    id: Option<String>,
    state: AdmState,
    disposition: Disposition,
    next_at: Option<DateTime<Utc>>,
    leg_from: Option<DateTime<Utc>>,
    neonate: bool,
    readmission: bool,
    note: Option<&'static str>,
    waits: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BillState {
    Pending,
    Paid,
    Cancelled,
}

struct BillM {
    id: String,
    due: NaiveDate,
    issued: NaiveDate,
    state: BillState,
}

struct MedM {
    id: String,
    stock: i64,
    minimum: i64,
    /// Expected units a day, before there is any history of use.
    prior: f64,
    /// Units dispensed per day.
    usage: BTreeMap<NaiveDate, i64>,
}

struct DocM {
    id: String,
    specs: Vec<usize>,
}

/// The relay of the demo: each outbox record goes to the consumers of the catalogue named
/// bill-discharge (see the module's comment); every record is then marked published by
/// [`relay::sweep`].
struct DemoBus {
    ctx: Ctx,
    errors: Mutex<Vec<String>>,
    relayed: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl EventBus for DemoBus {
    async fn publish(&self, events: &[DomainEvent]) -> Vec<Result<(), String>> {
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            let mut result = Ok(());
            for consumer in catalogue::routes_of(event).filter(|c| c.name == "bill-discharge") {
                if let Err(e) = (consumer.handle)(&self.ctx, event).await {
                    let message = format!("{} on {}: {e}", consumer.name, event.event_id);
                    if let Ok(mut errors) = self.errors.lock() {
                        errors.push(message.clone());
                    }
                    result = Err(message);
                }
            }
            out.push(result);
        }
        self.relayed
            .fetch_add(events.len(), std::sync::atomic::Ordering::Relaxed);
        out
    }
}

struct Sim {
    deps: Deps,
    clock: Arc<ScenarioClock>,
    bus: DemoBus,
    tz: Tz,
    rng: fastrand::Rng,
    first: NaiveDate,
    today: NaiveDate,
    end: DateTime<Utc>,
    /// Days of the ICU's surge at the end of the history (its occupancy alert).
    surge_from: NaiveDate,
    queue: BinaryHeap<Reverse<Slot>>,
    seq: u64,
    cpfs: HashSet<String>,
    sectors: Vec<String>,
    beds: Vec<BedM>,
    specs: Vec<String>,
    doctors: Vec<DocM>,
    insurers: Vec<String>,
    pharmacists: Vec<String>,
    meds: Vec<MedM>,
    patients: Vec<PatM>,
    appts: Vec<ApptM>,
    exams: Vec<ExamM>,
    rxs: Vec<RxM>,
    adms: Vec<AdmM>,
    bills: Vec<BillM>,
    /// Planned readmissions: day, patient, diagnosis.
    readmit: Vec<(NaiveDate, usize, usize)>,
    doctor_busy: HashSet<(usize, i64)>,
    patient_busy: HashSet<(usize, i64)>,
    invoice: u32,
    counts: Counts,
    refused: Vec<String>,
    refused_count: usize,
}

/// The outcome of a use case for the generator: a rule's refusal is recorded and the action
/// skipped; a store failure stops the run.
type Taken<T> = Result<Option<T>, String>;

fn describe(e: &DomainError) -> String {
    match e {
        DomainError::Validation(errors) => errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

impl Sim {
    fn new(
        ctx: Ctx,
        clock: Arc<ScenarioClock>,
        tz: Tz,
        options: &Options,
        first: NaiveDate,
        today: NaiveDate,
    ) -> Self {
        let surge = i64::from((options.days / 4).clamp(3, 6));
        Sim {
            deps: ctx.deps.clone(),
            bus: DemoBus {
                ctx: ctx.clone(),
                errors: Mutex::new(Vec::new()),
                relayed: Default::default(),
            },
            clock,
            tz,
            rng: fastrand::Rng::with_seed(options.seed),
            first,
            today,
            end: day_bounds(today, tz).0,
            surge_from: today - Duration::days(surge),
            queue: BinaryHeap::new(),
            seq: 0,
            cpfs: HashSet::new(),
            sectors: Vec::new(),
            beds: Vec::new(),
            specs: Vec::new(),
            doctors: Vec::new(),
            insurers: Vec::new(),
            pharmacists: Vec::new(),
            meds: Vec::new(),
            patients: Vec::new(),
            appts: Vec::new(),
            exams: Vec::new(),
            rxs: Vec::new(),
            adms: Vec::new(),
            bills: Vec::new(),
            readmit: Vec::new(),
            doctor_busy: HashSet::new(),
            patient_busy: HashSet::new(),
            invoice: 4100,
            counts: Counts::default(),
            refused: Vec::new(),
            refused_count: 0,
        }
    }

    // ------------------------------------------------------------ helpers

    /// `hours` after the start of `day`, hospital time.
    fn at(&self, day: NaiveDate, hours: f64) -> DateTime<Utc> {
        day_bounds(day, self.tz).0 + Duration::seconds((hours * 3600.0) as i64)
    }

    /// A random instant between `lo` and `hi` hours of `day`.
    fn at_between(&mut self, day: NaiveDate, lo: f64, hi: f64) -> DateTime<Utc> {
        let hours = self.uniform(lo, hi);
        self.at(day, hours)
    }

    fn day_of(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Moves the clock on by a few seconds (registries created one after another).
    fn tick(&self, secs: i64) {
        self.clock.set(Some(self.now() + Duration::seconds(secs)));
    }

    fn push(&mut self, at: DateTime<Utc>, act: Act) {
        self.push_ranked(at, 1, act);
    }

    fn push_ranked(&mut self, at: DateTime<Utc>, rank: u8, act: Act) {
        // Nothing happens at or after the end of the history.
        if at >= self.end {
            return;
        }
        self.seq += 1;
        self.queue.push(Reverse(Slot {
            at,
            rank,
            seq: self.seq,
            act,
        }));
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.rng.f64()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.f64() < p
    }

    fn minutes(&mut self, lo: i64, hi: i64) -> Duration {
        Duration::minutes(self.rng.i64(lo..=hi))
    }

    /// Lognormal around `median` (the spread of lengths of stay).
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        let u1 = self.rng.f64().max(1e-12);
        let u2 = self.rng.f64();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        median * (sigma * z).exp()
    }

    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut r = self.rng.u32(0..total.max(1));
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len().saturating_sub(1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.usize(0..items.len())]
    }

    /// The use case's answer, or its refusal recorded.
    fn accept<T>(&mut self, what: &str, result: DomainResult<T>) -> Taken<T> {
        match result {
            Ok(v) => Ok(Some(v)),
            Err(DomainError::Store(e)) => Err(format!("{what}: the store failed: {e}")),
            Err(e) => {
                self.refused_count += 1;
                if self.refused.len() < 12 {
                    let line = format!("{} {what}: {}", rfc3339(self.now()), describe(&e));
                    self.refused.push(line);
                }
                Ok(None)
            }
        }
    }

    async fn patch<R: Resource>(&mut self, what: &str, id: &str, patch: Value) -> Taken<()> {
        let result = Repository::<R>::new(self.deps.clone())
            .update(None, id, &patch, None)
            .await
            .map(|_| ());
        self.accept(what, result)
    }

    fn cpf(&mut self) -> String {
        loop {
            let mut d: Vec<u32> = (0..9).map(|_| self.rng.u32(0..10)).collect();
            if d.iter().all(|x| *x == d[0]) {
                continue;
            }
            for n in [9, 10] {
                let sum: u32 = (0..n).map(|i| d[i] * (n as u32 + 1 - i as u32)).sum();
                let r = (sum * 10) % 11;
                d.push(if r == 10 { 0 } else { r });
            }
            let cpf: String = d.iter().map(|x| char::from(b'0' + *x as u8)).collect();
            if self.cpfs.insert(cpf.clone()) {
                return cpf;
            }
        }
    }

    fn phone(&mut self) -> String {
        let ddd = self.pick(&[11, 11, 11, 11, 11, 12, 13, 19]);
        format!(
            "+55{ddd}9{}{:07}",
            self.rng.u32(6..10),
            self.rng.u32(0..10_000_000)
        )
    }

    fn person_name(&mut self, sex: Sex) -> String {
        let firsts: &[&str] = if sex == Sex::Female { &FEMALE } else { &MALE };
        let mut name = self.pick(firsts).to_string();
        if self.chance(0.3) {
            let second = self.pick(firsts);
            if !name.contains(second) {
                name = format!("{name} {second}");
            }
        }
        if self.chance(0.2) {
            let particle = self.pick(&["da", "de", "dos"]);
            let s = self.pick(&SURNAMES);
            name = format!("{name} {particle} {s}");
        }
        let mut last = self.pick(&SURNAMES);
        while name.ends_with(last) {
            last = self.pick(&SURNAMES);
        }
        format!("{name} {last}")
    }

    fn email_of(&mut self, name: &str) -> String {
        let words: Vec<String> = validate::fold(name)
            .split_whitespace()
            .filter(|w| !matches!(*w, "da" | "de" | "dos"))
            .map(str::to_string)
            .collect();
        let first = words.first().cloned().unwrap_or_default();
        let last = words.last().cloned().unwrap_or_default();
        let domain = self.pick(&["example.com", "example.net", "example.org"]);
        let n = self.rng.u32(1..100);
        format!("{first}.{last}{n}@{domain}")
    }

    fn age_on(&self, p: usize, t: DateTime<Utc>) -> i32 {
        let day = self.day_of(t);
        let b = self.patients[p].birth;
        let mut age = day.year() - b.year();
        if (day.month(), day.day()) < (b.month(), b.day()) {
            age -= 1;
        }
        age
    }

    // ------------------------------------------------------------ the run

    async fn run(&mut self) -> Result<(), String> {
        self.registries().await?;
        self.plan_patients();
        self.plan_appointments();
        self.plan_beds();
        self.plan_pharmacy();
        let mut day = self.first;
        while day < self.today {
            let start = self.at(day, 0.0);
            self.push_ranked(start, 0, Act::DayStart(day));
            let last = self.at(day + Duration::days(1), 0.0) - Duration::seconds(1);
            self.push_ranked(last, 2, Act::DayEnd);
            day += Duration::days(1);
        }
        while let Some(Reverse(slot)) = self.queue.pop() {
            // The clock never goes back (the first day's planning, due at midnight, runs after
            // the registries' morning).
            if slot.at > self.now() {
                self.clock.set(Some(slot.at));
            }
            self.act(slot.act, slot.at).await?;
        }
        // Whatever the last actions wrote: relayed, so nothing is left pending.
        self.clock.set(Some(self.end - Duration::seconds(1)));
        self.relay().await?;
        let errors = self
            .bus
            .errors
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default();
        if let Some(e) = errors.first() {
            return Err(format!("the bill-discharge consumer failed: {e}"));
        }
        Ok(())
    }

    async fn act(&mut self, act: Act, t: DateTime<Utc>) -> Result<(), String> {
        match act {
            Act::DayStart(day) => self.plan_day(day),
            Act::DayEnd => self.relay().await?,
            Act::Register(p) => self.register(p).await?,
            Act::Book(a) => self.book(a).await?,
            Act::CheckIn(a) => self.check_in(a).await?,
            Act::Fulfil(a) => self.fulfil(a, t).await?,
            Act::NoShow(a) => self.appointment_ends(a, Outcome::NoShow).await?,
            Act::CancelAppointment(a) => self.appointment_ends(a, Outcome::Cancelled).await?,
            Act::BillAppointment(a) => self.bill_appointment(a).await?,
            Act::BillExam(e) => self.bill_exam(e).await?,
            Act::RequestExam(e) => self.request_exam(e, t).await?,
            Act::StartExam(e) => self.start_exam(e).await?,
            Act::CompleteExam(e) => self.complete_exam(e, t).await?,
            Act::CancelExam(e) => self.cancel_exam(e).await?,
            Act::Prescribe(r) => self.prescribe(r, t).await?,
            Act::Dispense(r, i) => self.dispense(r, i, t).await?,
            Act::CompletePrescription(r) => self.end_prescription(r, None).await?,
            Act::CancelPrescription(r) => {
                self.end_prescription(r, Some("Ajuste da terapêutica após reavaliação"))
                    .await?
            }
            Act::Admit(a) => self.admit(a, t).await?,
            Act::Step(a) => self.step(a, t).await?,
            Act::EnteredInError(a) => self.entered_in_error(a, t).await?,
            Act::Birth(a) => self.birth(a, t).await?,
            Act::BedReady(b) => self.bed_ready(b).await?,
            Act::BedOut(b, status) => self.bed_out(b, status, t).await?,
            Act::BedBack(b) => self.bed_back(b, t).await?,
            Act::Restock(m) => self.restock(m, t).await?,
            Act::Recall(m) => self.recall(m).await?,
            Act::Pay(b) => self.pay(b).await?,
            Act::CancelBill(b) => self.cancel_bill(b).await?,
        }
        Ok(())
    }

    /// Hands what the outbox holds to the bill-discharge consumer and marks it published.
    async fn relay(&mut self) -> Result<(), String> {
        relay::sweep(&self.deps, &self.bus, Duration::zero(), usize::MAX)
            .await
            .map_err(|e| format!("relaying the outbox: {e}"))?;
        self.counts.outbox_records = self.bus.relayed.load(std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    fn summary(&self, options: &Options, elapsed: std::time::Duration) -> Summary {
        let mut counts = self.counts.clone();
        for b in &self.bills {
            match b.state {
                BillState::Paid => counts.bills_paid += 1,
                BillState::Cancelled => counts.bills_cancelled += 1,
                BillState::Pending => {
                    counts.bills_pending += 1;
                    if b.due < self.today {
                        counts.bills_overdue += 1;
                    }
                }
            }
        }
        Summary {
            seed: options.seed,
            days: options.days,
            first_day: self.first,
            today: self.today,
            ended_at: self.end,
            elapsed,
            counts,
            refused: self.refused.clone(),
            refused_count: self.refused_count,
        }
    }

    // ------------------------------------------------------------ registries

    /// Creates a top-level resource; the clock moves on a little after each.
    async fn create<R: Resource>(&mut self, what: &str, data: R) -> Result<String, String> {
        let result = Repository::<R>::new(self.deps.clone())
            .create(None, data)
            .await
            .map(|r| r.id);
        self.tick(2);
        match self.accept(what, result)? {
            Some(id) => Ok(id),
            None => Err(format!(
                "creating {what} was refused: {}",
                self.refused.last().cloned().unwrap_or_default()
            )),
        }
    }

    async fn registries(&mut self) -> Result<(), String> {
        self.clock.set(Some(self.at(self.first, 6.0)));
        for s in &SPECS {
            let data = Specialty {
                name: s.name.into(),
                description: Some(s.description.into()),
            };
            let id = self.create("a specialty", data).await?;
            self.specs.push(id);
        }
        self.counts.specialties = self.specs.len();
        for s in &SECTORS {
            let data = Sector {
                name: s.name.into(),
                floor: s.floor,
                kind: s.kind,
                alert_email: Some(s.email.into()),
            };
            let id = self.create("a sector", data).await?;
            self.sectors.push(id);
        }
        self.counts.sectors = self.sectors.len();
        for (si, s) in SECTORS.iter().enumerate() {
            let (mut n, mut neonatal) = (0, 0);
            for (count, kind) in s.beds {
                for _ in 0..*count {
                    let code = if *kind == BedKind::NeonatalIcu {
                        neonatal += 1;
                        format!("UCIN-{neonatal:02}")
                    } else {
                        n += 1;
                        if si == UTI {
                            format!("UTI-{n:02}")
                        } else {
                            format!("{}-{}{n:02}", s.prefix, s.floor)
                        }
                    };
                    let data = Bed {
                        code,
                        sector_id: self.sectors[si].clone(),
                        kind: *kind,
                        status: BedStatus::Available,
                        status_since: None,
                        in_sector_since: None,
                    };
                    let id = self.create("a bed", data).await?;
                    let since = self.now();
                    self.beds.push(BedM {
                        id,
                        sector: si,
                        kind: *kind,
                        status: BedStatus::Available,
                        since,
                        ready_at: None,
                        out_wanted: false,
                    });
                }
            }
        }
        self.counts.beds = self.beds.len();
        let mut ans = HashSet::new();
        for i in &INSURERS {
            let mut number = self.rng.u32(300_000..500_000);
            while !ans.insert(number) {
                number = self.rng.u32(300_000..500_000);
            }
            let data = Insurer {
                name: i.name.into(),
                ans_registration: number.to_string(),
                plan_type: i.plan,
                billing_email: i.email.into(),
                payment_terms_days: i.terms,
            };
            let id = self.create("an insurer", data).await?;
            self.insurers.push(id);
        }
        self.counts.insurers = self.insurers.len();
        self.tariffs().await?;
        let mut crms = HashSet::new();
        for (name, specs) in &DOCTORS {
            let mut number = self.rng.u32(40_000..240_000);
            while !crms.insert(number) {
                number = self.rng.u32(40_000..240_000);
            }
            let uf = if self.chance(0.85) {
                Uf::SP
            } else {
                self.pick(&[Uf::PR, Uf::RJ, Uf::MG])
            };
            let cpf = self.cpf();
            let phone = self.phone();
            let data = Doctor {
                full_name: (*name).into(),
                cpf,
                crm: Crm {
                    number: number.to_string(),
                    uf,
                },
                email: work_email(name),
                phone: Some(phone),
                status: DoctorStatus::Active,
                specialty_ids: specs.iter().map(|s| self.specs[*s].clone()).collect(),
            };
            let id = self.create("a doctor", data).await?;
            self.doctors.push(DocM {
                id,
                specs: specs.to_vec(),
            });
        }
        self.counts.doctors = self.doctors.len();
        for (name, role, sector) in &STAFF {
            let cpf = self.cpf();
            let phone = self.phone();
            let hired = self.first - Duration::days(self.rng.i64(60..7000));
            let data = StaffMember {
                full_name: (*name).into(),
                cpf,
                role: *role,
                sector_id: sector.map(|s| self.sectors[s].clone()),
                email: Some(work_email(name)),
                phone: Some(phone),
                hired_on: hired,
            };
            let id = self.create("a staff member", data).await?;
            if *role == StaffRole::Pharmacist {
                self.pharmacists.push(id);
            }
            self.counts.staff += 1;
        }
        self.medications().await
    }

    async fn tariffs(&mut self) -> Result<(), String> {
        let mut tariffs: Vec<Tariff> = SECTORS
            .iter()
            .enumerate()
            .map(|(i, s)| Tariff {
                scope: TariffScope::Sector,
                sector_id: Some(self.sectors[i].clone()),
                bed_kind: None,
                insurer_id: None,
                daily_rate_cents: s.rate_cents,
                currency: Currency::BRL,
                description: Some(format!("Diária — {}", s.name)),
            })
            .collect();
        tariffs.push(Tariff {
            scope: TariffScope::Default,
            sector_id: None,
            bed_kind: None,
            insurer_id: None,
            daily_rate_cents: 80_000,
            currency: Currency::BRL,
            description: Some("Diária padrão do hospital".into()),
        });
        // Rates negotiated with two insurers.
        for (insurer, sector, cents) in [(0, UTI, 285_000), (2, CM, 78_000)] {
            tariffs.push(Tariff {
                scope: TariffScope::Sector,
                sector_id: Some(self.sectors[sector].clone()),
                bed_kind: None,
                insurer_id: Some(self.insurers[insurer].clone()),
                daily_rate_cents: cents,
                currency: Currency::BRL,
                description: Some(format!(
                    "Diária {} — acordo {}",
                    SECTORS[sector].name, INSURERS[insurer].name
                )),
            });
        }
        for t in tariffs {
            self.create("a tariff", t).await?;
            self.counts.tariffs += 1;
        }
        Ok(())
    }

    /// Units of each medication a day the hospital expects, from the flows it is planned for:
    /// the stock it opens with, and what a delivery brings before there is a history of use.
    fn priors() -> Vec<f64> {
        let mut prior = vec![0.0; MEDS.len()];
        for (si, s) in SECTORS.iter().enumerate() {
            let beds: u32 = s.beds.iter().map(|(n, _)| n).sum();
            let dxs: Vec<&DxDef> = DXS
                .iter()
                .filter(|d| d.sector == si && d.weight > 0)
                .collect();
            let weight: f64 = dxs.iter().map(|d| f64::from(d.weight)).sum();
            let stay: f64 = dxs
                .iter()
                .map(|d| f64::from(d.weight) * d.legs.iter().map(|l| l.1).sum::<f64>())
                .sum::<f64>()
                / weight.max(1.0);
            let per_day = s.target * f64::from(beds) / stay.max(1.0);
            for d in dxs {
                let length: f64 = d.legs.iter().map(|l| l.1).sum();
                for i in d.items {
                    prior[med_index(i.med)] += per_day * f64::from(d.weight) / weight
                        * (i.per_day as f64)
                        * f64::from(i.days).min(length);
                }
            }
        }
        for s in &SPECS {
            let visits = f64::from(s.weekday) * 5.0 / 7.0 * 0.8 * 0.3;
            for i in s.rx {
                prior[med_index(i.med)] +=
                    visits / s.rx.len() as f64 * 1.5 * (i.per_day * i64::from(i.days)) as f64;
            }
        }
        prior.into_iter().map(|p| p.max(1.0)).collect()
    }

    async fn medications(&mut self) -> Result<(), String> {
        let priors = Self::priors();
        for (m, def) in MEDS.iter().enumerate() {
            let minimum = round_up(priors[m] * 7.0, 10);
            let expires = self.first + Duration::days(self.rng.i64(240..900));
            let data = Medication {
                name: def.name.into(),
                active_ingredient: def.ingredient.into(),
                presentation: def.presentation.into(),
                manufacturer: def.manufacturer.into(),
                unit: def.unit.into(),
                stock_quantity: 0,
                minimum_stock: minimum,
                expires_on: expires,
            };
            let id = self.create("a medication", data).await?;
            self.meds.push(MedM {
                id,
                stock: 0,
                minimum,
                prior: priors[m],
                usage: BTreeMap::new(),
            });
            let opening = round_up(priors[m] * 28.0, 10) + minimum;
            self.receive(m, opening, "Saldo de abertura do inventário")
                .await?;
        }
        self.counts.medications = self.meds.len();
        Ok(())
    }

    async fn receive(&mut self, m: usize, qty: i64, reason: &str) -> Result<(), String> {
        let who = self.pharmacist();
        let result = medications::record_movement(
            &self.deps,
            &self.meds[m].id.clone(),
            NewStockMovement {
                kind: MovementKind::Received,
                quantity: qty,
                reason: reason.into(),
            },
            &who,
        )
        .await;
        if self.accept("a stock receipt", result)?.is_some() {
            self.meds[m].stock += qty;
            self.counts.stock_receipts += 1;
        }
        Ok(())
    }

    fn pharmacist(&mut self) -> String {
        if self.pharmacists.is_empty() {
            return "demo-pharmacy".into();
        }
        let i = self.rng.usize(0..self.pharmacists.len());
        self.pharmacists[i].clone()
    }

    fn doctor_for(&mut self, spec: usize) -> usize {
        let holders: Vec<usize> = (0..self.doctors.len())
            .filter(|d| self.doctors[*d].specs.contains(&spec))
            .collect();
        if holders.is_empty() {
            0
        } else {
            self.pick(&holders)
        }
    }

    // ------------------------------------------------------------ plans made up front

    /// The registry: most patients are on file when the history starts, the others register
    /// as days go by.
    fn plan_patients(&mut self) {
        let span = (self.today - self.first).num_days().max(2);
        for i in 0..PATIENTS {
            let group = self.weighted(&[18, 32, 30, 20]);
            let (sex, age) = match group {
                0 => (self.pick(&[Sex::Female, Sex::Male]), self.rng.i64(0..15)),
                1 => (Sex::Female, self.rng.i64(15..45)),
                2 => {
                    if self.chance(0.5) {
                        (Sex::Female, self.rng.i64(45..65))
                    } else {
                        (Sex::Male, self.rng.i64(15..65))
                    }
                }
                _ => (
                    self.pick(&[Sex::Female, Sex::Female, Sex::Male]),
                    self.rng.i64(65..95),
                ),
            };
            // Born before the history starts (a patient on file was born by then).
            let birth = self.first - Duration::days(age * 365 + age / 4 + self.rng.i64(1..365));
            let registered_at = if i < PATIENTS * 72 / 100 {
                self.at(self.first, 6.5) + Duration::seconds(3 * i as i64)
            } else {
                let day = self.first + Duration::days(self.rng.i64(1..span));
                self.at_between(day, 7.0, 19.0)
            };
            let p = self.new_patient(sex, birth, age, registered_at);
            self.push(registered_at, Act::Register(p));
        }
    }

    fn new_patient(
        &mut self,
        sex: Sex,
        birth: NaiveDate,
        age: i64,
        registered_at: DateTime<Utc>,
    ) -> usize {
        let full_name = self.person_name(sex);
        let cpf = self.cpf();
        let insurer = {
            let mut weights: Vec<u32> = INSURERS.iter().map(|i| i.weight).collect();
            weights.push(PRIVATE_WEIGHT);
            let w = self.weighted(&weights);
            (w < INSURERS.len()).then_some(w)
        };
        let phone = self.chance(0.9).then(|| self.phone());
        let email = (age >= 16 && self.chance(0.55)).then(|| self.email_of(&full_name));
        let contact = if age < 15 || self.chance(0.45) {
            let surname = full_name.rsplit(' ').next().unwrap_or_default().to_string();
            let (relationship, sex) = if age < 15 {
                self.pick(&[("mãe", Sex::Female), ("pai", Sex::Male)])
            } else {
                self.pick(&[
                    ("cônjuge", Sex::Female),
                    ("cônjuge", Sex::Male),
                    ("filha", Sex::Female),
                    ("filho", Sex::Male),
                    ("irmã", Sex::Female),
                ])
            };
            let first = self.pick(if sex == Sex::Female { &FEMALE } else { &MALE });
            let phone = self.phone();
            Some(EmergencyContact {
                name: format!("{first} {surname}"),
                phone,
                relationship: Some(relationship.into()),
            })
        } else {
            None
        };
        let allergies = if self.chance(0.15) {
            vec![Allergy(self.pick(&ALLERGIES).into())]
        } else {
            Vec::new()
        };
        let address = self.chance(0.4).then(|| {
            let city = if self.chance(0.8) {
                CITIES[0]
            } else {
                self.pick(&CITIES[1..])
            };
            Address {
                cep: format!(
                    "0{:04}{:03}",
                    self.rng.u32(1000..8500),
                    self.rng.u32(0..1000)
                ),
                street: self.pick(&STREETS).into(),
                number: self.rng.u32(10..3000).to_string(),
                complement: self
                    .chance(0.3)
                    .then(|| format!("Apto {}", self.rng.u32(11..180))),
                district: self.pick(&DISTRICTS).into(),
                city: city.into(),
                uf: Uf::SP,
            }
        });
        self.patients.push(PatM {
            id: None,
            full_name,
            cpf,
            birth,
            sex,
            insurer,
            registered_at,
            phone,
            email,
            contact,
            allergies,
            address,
            alive: true,
            admitted: None,
            last_discharge: None,
            delivered: false,
            newborn: false,
        });
        self.patients.len() - 1
    }

    /// Outpatient appointments for every day of the history and the few days after it, each
    /// booked some days ahead; the past ones end fulfilled, missed or cancelled. Dermatology's
    /// last week is thin (the AD02 demand alert): its dermatologists are on leave.
    fn plan_appointments(&mut self) {
        let drop_from = self.today - Duration::days(6);
        let mut day = self.first;
        while day <= self.today + Duration::days(4) {
            let weekday = day.weekday();
            if weekday != Weekday::Sun {
                for (spec, def) in SPECS.iter().enumerate() {
                    let base = if weekday == Weekday::Sat {
                        def.saturday
                    } else {
                        def.weekday
                    };
                    if base == 0 {
                        continue;
                    }
                    // Steady demand, so that only the drop planned below stands out (AD02
                    // compares a week with the four before it).
                    let mut n = i64::from(base);
                    if self.chance(0.3) {
                        n += if day >= drop_from {
                            1
                        } else {
                            self.rng.i64(-1..=1)
                        };
                    }
                    if spec == S_DERMA && day >= drop_from {
                        n = i64::from(self.chance(0.3));
                    }
                    for _ in 0..n.max(0) {
                        self.plan_appointment(day, spec);
                    }
                }
            }
            day += Duration::days(1);
        }
    }

    fn plan_appointment(&mut self, day: NaiveDate, spec: usize) {
        let holders: Vec<usize> = (0..self.doctors.len())
            .filter(|d| self.doctors[*d].specs.contains(&spec))
            .collect();
        if holders.is_empty() {
            return;
        }
        // A free slot of one of the specialty's doctors: 08:00–12:00 and 13:00–17:00.
        let mut found = None;
        for _ in 0..30 {
            let doctor = self.pick(&holders);
            let slot = self.rng.u32(0..16);
            let hours = 8.0 + 0.5 * f64::from(slot) + if slot >= 8 { 1.0 } else { 0.0 };
            let start = self.at(day, hours);
            if !self.doctor_busy.contains(&(doctor, start.timestamp())) {
                found = Some((doctor, start, hours));
                break;
            }
        }
        let Some((doctor, start, hours)) = found else {
            return;
        };
        // Booked the same day (a fifth) or up to two weeks ahead, never before the history.
        let mut booked = if self.chance(0.2) && hours >= 9.0 {
            self.at_between(day, 7.0, hours - 1.0)
        } else {
            let lead = self.rng.i64(1..=14);
            self.at_between(day - Duration::days(lead), 8.0, 18.0)
        };
        let opening = self.at(self.first, 7.5);
        if booked < opening {
            booked = opening + Duration::seconds(self.rng.i64(0..3600));
        }
        if booked >= start - Duration::minutes(30) || booked >= self.end {
            return;
        }
        let Some(patient) = self.outpatient(spec, start, booked) else {
            return;
        };
        let outcome = if day < self.today {
            match self.rng.f64() {
                r if r < 0.08 => Outcome::Cancelled,
                r if r < 0.18 => Outcome::NoShow,
                _ => Outcome::Fulfilled,
            }
        } else if self.chance(0.05) {
            Outcome::Cancelled
        } else {
            Outcome::Ahead
        };
        self.doctor_busy.insert((doctor, start.timestamp()));
        self.patient_busy.insert((patient, start.timestamp()));
        self.appts.push(ApptM {
            patient,
            doctor,
            spec,
            start,
            outcome,
            id: None,
        });
        let a = self.appts.len() - 1;
        self.push(booked, Act::Book(a));
        match outcome {
            Outcome::Cancelled => {
                let window = (start - booked).num_minutes().max(10);
                let at = booked + Duration::minutes(self.rng.i64(5..window));
                self.push(at, Act::CancelAppointment(a));
            }
            Outcome::NoShow => {
                self.push(start + Duration::minutes(20), Act::NoShow(a));
            }
            Outcome::Fulfilled => {
                let check_in = (start - self.minutes(5, 25)).max(booked + Duration::minutes(1));
                self.push(check_in, Act::CheckIn(a));
                self.push(start + Duration::minutes(30), Act::Fulfil(a));
            }
            Outcome::Ahead => {}
        }
    }

    /// A patient for a specialty's appointment: on file when it is booked, of the right age,
    /// free at that time.
    fn outpatient(
        &mut self,
        spec: usize,
        start: DateTime<Utc>,
        booked: DateTime<Utc>,
    ) -> Option<usize> {
        for _ in 0..60 {
            let p = self.rng.usize(0..self.patients.len());
            let pat = &self.patients[p];
            if pat.registered_at > booked - Duration::minutes(1)
                || !pat.alive
                || pat.newborn
                || self.patient_busy.contains(&(p, start.timestamp()))
            {
                continue;
            }
            let age = self.age_on(p, start);
            let fits = match spec {
                S_PED => age < 15,
                S_GO => pat.sex == Sex::Female && age >= 15,
                _ => age >= 15,
            };
            if fits {
                return Some(p);
            }
        }
        None
    }

    /// Beds taken out of service for a while (and one still out at the end).
    fn plan_beds(&mut self) {
        let days = (self.today - self.first).num_days();
        let spells = [
            (CM, 6, BedStatus::Maintenance, days / 4, 2),
            (CIR, 4, BedStatus::Blocked, days / 2, 5),
            (CM, 13, BedStatus::Maintenance, days * 3 / 5, 3),
            (MAT, 1, BedStatus::Maintenance, days * 7 / 10, 1),
            (PED, 2, BedStatus::Maintenance, days - 2, 0),
        ];
        for (sector, nth, status, from, length) in spells {
            let Some(b) = (0..self.beds.len())
                .filter(|b| self.beds[*b].sector == sector)
                .nth(nth)
            else {
                continue;
            };
            let start = self.first + Duration::days(from);
            let at = self.at_between(start, 9.0, 11.0);
            self.push(at, Act::BedOut(b, status));
            if length > 0 {
                let back = self.at_between(start + Duration::days(length), 14.0, 17.0);
                self.push(back, Act::BedBack(b));
            }
        }
    }

    /// Weekly deliveries (Tuesdays) and, near the end, a recalled lot of the two medications
    /// that end short.
    fn plan_pharmacy(&mut self) {
        let mut day = self.first + Duration::days(1);
        while day < self.today {
            if day.weekday() == Weekday::Tue {
                for m in 0..self.meds.len() {
                    let at = self.at(day, 9.5) + Duration::minutes(m as i64);
                    self.push(at, Act::Restock(m));
                }
            }
            day += Duration::days(1);
        }
        for name in SHORT {
            let m = med_index(name);
            let at = self.at(self.today - Duration::days(3), 11.0);
            self.push(at, Act::Recall(m));
        }
    }

    // ------------------------------------------------------------ the day's admissions

    /// The day's arrivals per sector: enough to bring the census at midnight to the sector's
    /// target, given who is expected to stay; readmissions due today come first. The ICU
    /// fills up in the last days (its occupancy alert).
    fn plan_day(&mut self, day: NaiveDate) {
        let midnight = self.at(day + Duration::days(1), 0.0);
        let mut planned = [0i64; 5];
        let due: Vec<(usize, usize)> = self
            .readmit
            .iter()
            .filter(|r| r.0 == day)
            .map(|r| (r.1, r.2))
            .collect();
        for (p, dx) in due {
            let pat = &self.patients[p];
            if !pat.alive || pat.admitted.is_some() {
                continue;
            }
            let a = self.new_admission(Some(p), dx, day);
            self.adms[a].readmission = true;
            self.adms[a].note = Some("Readmissão: retorno após alta recente");
            let at = self.at_between(day, 8.0, 20.0);
            self.push(at, Act::Admit(a));
            planned[DXS[dx].sector] += 1;
        }
        // Two long stays: patients awaiting a place in a long-term care facility (the
        // long-stays job's reviews).
        let long_day = (self.first + Duration::days(1)).max(self.today - Duration::days(24));
        if day == long_day {
            for _ in 0..2 {
                let a = self.new_admission(None, STROKE_DX, day);
                self.adms[a].legs = vec![(CM, 24.0 * 400.0)];
                self.adms[a].disposition = Disposition::Home;
                self.adms[a].note = Some("Aguardando vaga em instituição de longa permanência");
                let at = self.at_between(day, 9.0, 16.0);
                self.push(at, Act::Admit(a));
                planned[CM] += 1;
            }
        }
        // Who stays past midnight, by sector (newborns too: they hold maternity beds).
        let mut projected = [0i64; 5];
        for a in self.adms.iter().filter(|a| a.state == AdmState::Open) {
            match a.next_at {
                Some(n) if n < midnight => {
                    if let Some((next, _)) = a.legs.get(a.leg + 1) {
                        projected[*next] += 1;
                    }
                }
                _ => projected[a.legs[a.leg].0] += 1,
            }
        }
        let index = (day - self.first).num_days() as f64;
        for s in 0..SECTORS.len() {
            let in_service = self
                .beds
                .iter()
                .filter(|b| {
                    b.sector == s
                        && !matches!(b.status, BedStatus::Maintenance | BedStatus::Blocked)
                })
                .count() as f64;
            let surge = s == UTI && day >= self.surge_from;
            let last_days = day >= self.surge_from;
            let target = if surge {
                1.0
            } else {
                // A slow swell and ebb, different in each sector; in the last days the other
                // sectors stay clear of the alert, which is the ICU's.
                let swell = 0.04 * (index / 11.0 + s as f64 * 1.3).sin();
                let t = SECTORS[s].target + swell;
                if last_days { t.min(0.72) } else { t }
            };
            let mut want = (target * in_service).round() as i64 - projected[s] - planned[s];
            if surge {
                // More patients than beds: whoever finds no bed by the evening is sent on to
                // another hospital, and no bed freed in the day stays empty at midnight.
                want += 3;
            } else if self.chance(0.5) {
                want += self.rng.i64(-1..=if last_days { 0 } else { 1 });
            }
            let dxs: Vec<usize> = (0..DXS.len())
                .filter(|d| DXS[*d].sector == s && DXS[*d].weight > 0)
                .collect();
            let weights: Vec<u32> = dxs.iter().map(|d| DXS[*d].weight).collect();
            let latest = if surge { 23.5 } else { 22.0 };
            for _ in 0..want.max(0) {
                let dx = dxs[self.weighted(&weights)];
                let a = self.new_admission(None, dx, day);
                let at = self.at_between(day, 7.0, latest);
                self.push(at, Act::Admit(a));
            }
        }
    }

    /// A planned admission: its legs' lengths drawn around the diagnosis's medians, and how it
    /// will end.
    fn new_admission(&mut self, patient: Option<usize>, dx: usize, day: NaiveDate) -> usize {
        let def = &DXS[dx];
        let mut legs: Vec<(usize, f64)> = Vec::new();
        for (sector, median) in def.legs {
            let hours = self
                .lognormal(median * 24.0, 0.45)
                .clamp(6.0, median * 24.0 * 4.0);
            legs.push((*sector, hours));
        }
        // The first day's patients were already in care when the history begins.
        if day == self.first {
            legs[0].1 *= self.uniform(0.3, 1.0);
        }
        let icu = legs.iter().any(|l| l.0 == UTI);
        let disposition = match self.rng.f64() {
            r if r < def.death => Disposition::Death,
            r if r < def.death + if icu { 0.04 } else { 0.02 } => Disposition::Transfer,
            r if r < def.death + 0.05 => Disposition::AgainstAdvice,
            r if r < def.death + 0.055 => Disposition::Other,
            _ => Disposition::Home,
        };
        if disposition == Disposition::Death {
            if legs.len() > 1 && self.chance(0.7) {
                legs.truncate(1);
            }
            if let Some(last) = legs.last_mut() {
                last.1 *= self.uniform(0.3, 1.0);
            }
        }
        let note = match def.code {
            "K40.9" | "M17.1" | "K80.2" => Some("Internação eletiva"),
            _ if self.chance(0.5) => Some("Admitido pelo pronto-socorro"),
            _ => None,
        };
        self.adms.push(AdmM {
            patient,
            dx,
            legs,
            leg: 0,
            bed: None,
            id: None,
            state: AdmState::Planned,
            disposition,
            next_at: None,
            leg_from: None,
            neonate: dx == NEWBORN_DX,
            readmission: false,
            note,
            waits: 0,
        });
        self.adms.len() - 1
    }

    /// A patient to admit to `sector` for `dx`: alive, on file, not in hospital, not
    /// discharged in the last 30 days (readmissions are planned, not drawn by chance), of an
    /// age the sector treats; older patients fall ill more often.
    fn inpatient(&mut self, sector: usize, dx: usize, t: DateTime<Utc>) -> Option<usize> {
        for _ in 0..400 {
            let p = self.rng.usize(0..self.patients.len());
            let pat = &self.patients[p];
            if pat.newborn
                || !pat.alive
                || pat.admitted.is_some()
                || pat.registered_at > t
                || pat
                    .last_discharge
                    .is_some_and(|d| t - d < Duration::days(30))
            {
                continue;
            }
            let (female, delivered) = (pat.sex == Sex::Female, pat.delivered);
            let age = self.age_on(p, t);
            let fits = match sector {
                PED => age < 15,
                MAT => female && (15..45).contains(&age) && !delivered,
                _ => age >= 15 && (female || !DXS[dx].code.starts_with('O')),
            } && match DXS[dx].code {
                "S72.0" => age >= 60,
                "M17.1" => age >= 50,
                _ => true,
            };
            if !fits {
                continue;
            }
            let likely = match sector {
                CM | UTI if age >= 65 => 1.0,
                CM | UTI if age >= 40 => 0.5,
                CM | UTI => 0.15,
                CIR if age >= 65 => 0.8,
                CIR => 0.5,
                _ => 1.0,
            };
            if self.chance(likely) {
                return Some(p);
            }
        }
        None
    }

    /// A bed of `sector` free at `t` (neonatal beds for newborns only).
    fn free_bed(&mut self, sector: usize, neonate: bool, t: DateTime<Utc>) -> Option<usize> {
        let free: Vec<usize> = (0..self.beds.len())
            .filter(|i| {
                let b = &self.beds[*i];
                b.sector == sector
                    && (b.kind == BedKind::NeonatalIcu) == neonate
                    && b.status == BedStatus::Available
                    && b.since <= t
                    && !b.out_wanted
            })
            .collect();
        (!free.is_empty()).then(|| self.pick(&free))
    }

    /// When the next bed of `sector` being cleaned is ready.
    fn next_ready(&self, sector: usize, neonate: bool) -> Option<DateTime<Utc>> {
        self.beds
            .iter()
            .filter(|b| {
                b.sector == sector
                    && (b.kind == BedKind::NeonatalIcu) == neonate
                    && b.status == BedStatus::Cleaning
                    && !b.out_wanted
            })
            .filter_map(|b| b.ready_at)
            .min()
    }

    async fn admit(&mut self, a: usize, t: DateTime<Utc>) -> Result<(), String> {
        if self.adms[a].state != AdmState::Planned {
            return Ok(());
        }
        let (dx, sector, neonate) = (
            self.adms[a].dx,
            self.adms[a].legs[0].0,
            self.adms[a].neonate,
        );
        let patient = match self.adms[a].patient {
            Some(p) => {
                let pat = &self.patients[p];
                (pat.alive && pat.admitted.is_none() && pat.id.is_some()).then_some(p)
            }
            None => self.inpatient(sector, dx, t),
        };
        let Some(p) = patient else {
            self.adms[a].state = AdmState::Dropped;
            self.counts.turned_away += 1;
            return Ok(());
        };
        let Some(bed) = self.free_bed(sector, neonate, t) else {
            // No bed yet: wait for one being cleaned, the same evening at the latest.
            let until = self.at(self.day_of(t), 23.75);
            match self.next_ready(sector, neonate) {
                Some(r) if r < until => {
                    let at = r.max(t) + self.minutes(10, 30);
                    self.adms[a].patient = Some(p);
                    self.push(at, Act::Admit(a));
                }
                // In the ICU's surge the patient boards in the emergency room until a bed
                // frees up, so none freed in the day stays empty at midnight.
                _ if sector == UTI
                    && self.day_of(t) >= self.surge_from
                    && t + Duration::hours(1) < until =>
                {
                    let at = t + self.minutes(50, 70);
                    self.adms[a].patient = Some(p);
                    self.push(at, Act::Admit(a));
                }
                _ => {
                    self.adms[a].state = AdmState::Dropped;
                    self.counts.turned_away += 1;
                }
            }
            return Ok(());
        };
        if !self.admit_into(a, p, bed, t).await? {
            self.adms[a].state = AdmState::Dropped;
            return Ok(());
        }
        if self.adms[a].readmission {
            self.counts.readmissions += 1;
        }
        if matches!(DXS[dx].code, "O80" | "O82") {
            self.patients[p].delivered = true;
            if self.chance(0.07) {
                let at = t + self.minutes(120, 600);
                self.push(at, Act::Birth(a));
            }
        }
        self.schedule_step(a, t);
        self.inpatient_orders(a, t);
        // Now and then an admission entered in the wrong bed, cancelled and done again.
        if !neonate && self.chance(0.008) {
            let at = t + self.minutes(5, 15);
            self.push(at, Act::EnteredInError(a));
        }
        Ok(())
    }

    /// `admissions::admit` of patient `p` into `bed` now; the model follows.
    async fn admit_into(
        &mut self,
        a: usize,
        p: usize,
        bed: usize,
        t: DateTime<Utc>,
    ) -> Result<bool, String> {
        let dx = &DXS[self.adms[a].dx];
        let doctor = self.doctor_for(dx.spec);
        let Some(patient_id) = self.patients[p].id.clone() else {
            return Ok(false);
        };
        let mut body = json!({
            "patient_id": patient_id,
            "bed_id": self.beds[bed].id,
            "attending_doctor_id": self.doctors[doctor].id,
            "admitting_diagnosis": {"code": dx.code, "text": dx.text},
        });
        if let Some(note) = self.adms[a].note {
            body["notes"] = json!(note);
        }
        let result = admissions::admit(&self.deps, body).await;
        let Some(record) = self.accept("an admission", result)? else {
            return Ok(false);
        };
        let adm = &mut self.adms[a];
        adm.patient = Some(p);
        adm.id = Some(record.id);
        adm.state = AdmState::Open;
        adm.bed = Some(bed);
        adm.leg_from = Some(t);
        self.patients[p].admitted = Some(a);
        self.occupy(bed, t);
        self.counts.admissions += 1;
        Ok(true)
    }

    fn occupy(&mut self, bed: usize, t: DateTime<Utc>) {
        let b = &mut self.beds[bed];
        b.status = BedStatus::Occupied;
        b.since = t;
        b.ready_at = None;
    }

    /// The bed left at `t` is cleaned in one to three hours.
    fn vacate(&mut self, bed: usize, t: DateTime<Utc>) {
        let ready = t + self.minutes(45, 180);
        let b = &mut self.beds[bed];
        b.status = BedStatus::Cleaning;
        b.since = t;
        b.ready_at = Some(ready);
        self.push(ready, Act::BedReady(bed));
    }

    /// When the current leg ends: a discharge home late in the morning or early afternoon, a
    /// transfer in the day, a death when it happens.
    fn schedule_step(&mut self, a: usize, from: DateTime<Utc>) {
        let adm = &self.adms[a];
        let hours = adm.legs[adm.leg].1;
        let last = adm.leg + 1 == adm.legs.len();
        let death = adm.disposition == Disposition::Death;
        let planned = from + Duration::seconds((hours * 3600.0) as i64);
        let at = if last && death {
            planned.max(from + Duration::hours(1))
        } else {
            let day = self.day_of(planned);
            let (lo, mut hi, least) = if last { (9.5, 15.5, 4) } else { (8.0, 20.0, 2) };
            // In the ICU's surge its patients leave by early afternoon, so their beds are
            // clean and taken again before midnight (the alert counts the midnight census).
            if adm.legs[adm.leg].0 == UTI && day >= self.surge_from {
                hi = 14.0;
            }
            let mut at = self.at_between(day, lo, hi);
            if at < from + Duration::hours(least) {
                at = self.at_between(day + Duration::days(1), lo, hi);
            }
            at
        };
        self.adms[a].next_at = Some(at);
        self.push(at, Act::Step(a));
    }

    /// Exams and the prescription an admission starts with.
    fn inpatient_orders(&mut self, a: usize, t: DateTime<Utc>) {
        let (dx, p) = (self.adms[a].dx, self.adms[a].patient.unwrap_or(0));
        let def = &DXS[dx];
        let doctor = self.doctor_for(def.spec);
        let icu = self.adms[a].legs[0].0 == UTI;
        for name in def.exams {
            let priority = if icu {
                self.pick(&[Priority::Stat, Priority::Asap])
            } else {
                self.pick(&[Priority::Urgent, Priority::Routine, Priority::Asap])
            };
            self.exams.push(ExamM {
                patient: p,
                doctor,
                def: exam_index(name),
                priority,
                admission: Some(a),
                id: None,
                status: ExamStatus::Requested,
            });
            let at = t + self.minutes(20, 120);
            self.push(at, Act::RequestExam(self.exams.len() - 1));
        }
        if !def.items.is_empty() {
            self.rxs.push(RxM {
                patient: p,
                doctor,
                admission: Some(a),
                items: def.items.iter().collect(),
                days_done: vec![0; def.items.len()],
                id: None,
                active: false,
            });
            let at = t + self.minutes(30, 90);
            self.push(at, Act::Prescribe(self.rxs.len() - 1));
        }
    }

    async fn step(&mut self, a: usize, t: DateTime<Utc>) -> Result<(), String> {
        if self.adms[a].state != AdmState::Open || self.adms[a].next_at != Some(t) {
            return Ok(());
        }
        let leg = self.adms[a].leg;
        if leg + 1 < self.adms[a].legs.len() {
            self.transfer(a, t).await
        } else {
            self.discharge(a, t).await
        }
    }

    async fn transfer(&mut self, a: usize, t: DateTime<Utc>) -> Result<(), String> {
        let leg = self.adms[a].leg;
        let to = self.adms[a].legs[leg + 1].0;
        let Some(bed) = self.free_bed(to, false, t) else {
            // No bed in the next sector: the patient waits where they are; after three days
            // of waiting they go home from here.
            self.adms[a].waits += 1;
            if self.adms[a].waits > 18 {
                self.adms[a].legs.truncate(leg + 1);
                self.adms[a].legs[leg].1 = 0.0;
                self.schedule_step(a, t);
            } else {
                let at = t + Duration::hours(4);
                self.adms[a].next_at = Some(at);
                self.push(at, Act::Step(a));
            }
            return Ok(());
        };
        let (Some(id), Some(from_bed)) = (self.adms[a].id.clone(), self.adms[a].bed) else {
            return Ok(());
        };
        let result = admissions::transfer(
            &self.deps,
            &id,
            Transfer {
                bed_id: self.beds[bed].id.clone(),
                at: None,
            },
        )
        .await;
        if self.accept("a transfer", result)?.is_none() {
            return Ok(());
        }
        self.vacate(from_bed, t);
        self.occupy(bed, t);
        let adm = &mut self.adms[a];
        adm.bed = Some(bed);
        adm.leg += 1;
        adm.leg_from = Some(t);
        adm.waits = 0;
        self.counts.transfers += 1;
        self.schedule_step(a, t);
        Ok(())
    }

    async fn discharge(&mut self, a: usize, t: DateTime<Utc>) -> Result<(), String> {
        let (Some(id), Some(bed), Some(p)) = (
            self.adms[a].id.clone(),
            self.adms[a].bed,
            self.adms[a].patient,
        ) else {
            return Ok(());
        };
        let dx = &DXS[self.adms[a].dx];
        let disposition = self.adms[a].disposition;
        let result = admissions::discharge(
            &self.deps,
            &id,
            Discharge {
                disposition,
                discharge_diagnosis: Diagnosis {
                    code: dx.code.into(),
                    text: dx.text.into(),
                },
                discharged_at: None,
            },
        )
        .await;
        if self.accept("a discharge", result)?.is_none() {
            return Ok(());
        }
        self.adms[a].state = AdmState::Done;
        self.vacate(bed, t);
        let pat = &mut self.patients[p];
        pat.admitted = None;
        pat.last_discharge = Some(t);
        self.counts.discharges += 1;
        match disposition {
            Disposition::Death => {
                self.patients[p].alive = false;
                self.counts.deaths += 1;
            }
            Disposition::Transfer => self.counts.transferred_out += 1,
            _ => {}
        }
        for r in 0..self.rxs.len() {
            if self.rxs[r].admission == Some(a) && self.rxs[r].active {
                let at = t + self.minutes(5, 30);
                self.push(at, Act::CompletePrescription(r));
            }
        }
        // Billed as the live system bills it: the discharge's event goes to the
        // bill-discharge consumer, with the clock at the discharge.
        self.relay().await?;
        self.discharge_bill(&id, t).await?;
        if disposition == Disposition::Home && !self.patients[p].newborn {
            let readmit = DXS[self.adms[a].dx].readmit;
            if self.chance(readmit) {
                // Most come back within the first two weeks.
                let after = 2 + (self.rng.f64().powi(2) * 26.0) as i64;
                let day = self.day_of(t) + Duration::days(after);
                if day < self.today {
                    self.readmit.push((day, p, self.adms[a].dx));
                }
            }
        }
        Ok(())
    }

    /// The entry the bill-discharge consumer wrote for the admission, and what becomes of it.
    async fn discharge_bill(&mut self, admission_id: &str, t: DateTime<Utc>) -> Result<(), String> {
        let result = Repository::<BillingEntry>::new(self.deps.clone())
            .list(
                None,
                Filter::Unique(Unique {
                    field: "admission_id",
                    value: admission_id.to_string(),
                }),
                Some(1),
                None,
            )
            .await;
        let Some(page) = self.accept("finding a discharge's bill", result)? else {
            return Ok(());
        };
        let Some(entry) = page.items.into_iter().next() else {
            self.refused_count += 1;
            self.refused.push(format!(
                "admission {admission_id} was not billed at discharge"
            ));
            return Ok(());
        };
        let insurer = entry
            .data
            .insurer_id
            .as_ref()
            .and_then(|i| self.insurers.iter().position(|x| x == i));
        let issued = entry.data.issued_on.unwrap_or(self.today);
        self.counts.billing_entries += 1;
        self.counts.discharge_bills += 1;
        self.bills.push(BillM {
            id: entry.id,
            due: entry.data.due_on,
            issued,
            state: BillState::Pending,
        });
        self.plan_bill(self.bills.len() - 1, insurer, t);
        Ok(())
    }

    /// Cancelled at once and admitted again in another bed: the first bed was the wrong one.
    async fn entered_in_error(&mut self, a: usize, t: DateTime<Utc>) -> Result<(), String> {
        let (Some(id), Some(bed), Some(p)) = (
            self.adms[a].id.clone(),
            self.adms[a].bed,
            self.adms[a].patient,
        ) else {
            return Ok(());
        };
        if self.adms[a].state != AdmState::Open || self.adms[a].leg != 0 {
            return Ok(());
        }
        let sector = self.beds[bed].sector;
        let Some(right) = self.free_bed(sector, false, t) else {
            return Ok(());
        };
        let result = admissions::cancel(
            &self.deps,
            &id,
            Cancel {
                reason: "Paciente registrado no leito errado".into(),
            },
        )
        .await;
        if self.accept("cancelling an admission", result)?.is_none() {
            return Ok(());
        }
        self.counts.admissions_cancelled += 1;
        self.patients[p].admitted = None;
        let b = &mut self.beds[bed];
        b.status = BedStatus::Available;
        b.since = t;
        self.adms[a].state = AdmState::Planned;
        if !self.admit_into(a, p, right, t).await? {
            self.adms[a].state = AdmState::Dropped;
        }
        Ok(())
    }

    /// A preterm newborn: registered at birth and admitted to a neonatal bed.
    async fn birth(&mut self, mother_adm: usize, t: DateTime<Utc>) -> Result<(), String> {
        let Some(mother) = self.adms[mother_adm].patient else {
            return Ok(());
        };
        let m = &self.patients[mother];
        let name = format!("Recém-nascido de {}", m.full_name);
        let contact = m.phone.clone().map(|phone| EmergencyContact {
            name: m.full_name.clone(),
            phone,
            relationship: Some("mãe".into()),
        });
        let insurer = m.insurer;
        let sex = self.pick(&[Sex::Female, Sex::Male]);
        let cpf = self.cpf();
        self.patients.push(PatM {
            id: None,
            full_name: name,
            cpf,
            birth: self.day_of(t),
            sex,
            insurer,
            registered_at: t,
            phone: None,
            email: None,
            contact,
            allergies: Vec::new(),
            address: None,
            alive: true,
            admitted: None,
            last_discharge: None,
            delivered: false,
            newborn: true,
        });
        let p = self.patients.len() - 1;
        self.register(p).await?;
        if self.patients[p].id.is_none() {
            return Ok(());
        }
        self.counts.newborns += 1;
        let a = self.new_admission(Some(p), NEWBORN_DX, self.day_of(t));
        self.adms[a].legs[0].1 = self.lognormal(14.0 * 24.0, 0.35);
        self.adms[a].disposition = Disposition::Home;
        self.adms[a].note = Some("Recém-nascido pré-termo, admitido ao nascer");
        let at = t + Duration::minutes(5);
        self.push(at, Act::Admit(a));
        Ok(())
    }

    // ------------------------------------------------------------ beds

    async fn bed_ready(&mut self, b: usize) -> Result<(), String> {
        if self.beds[b].status != BedStatus::Cleaning {
            return Ok(());
        }
        let id = self.beds[b].id.clone();
        let done = self
            .patch::<Bed>("a bed cleaned", &id, json!({"status": "available"}))
            .await?;
        if done.is_some() {
            let now = self.now();
            let bed = &mut self.beds[b];
            bed.status = BedStatus::Available;
            bed.since = now;
            bed.ready_at = None;
            self.counts.bed_status_changes += 1;
        }
        Ok(())
    }

    async fn bed_out(
        &mut self,
        b: usize,
        status: BedStatus,
        t: DateTime<Utc>,
    ) -> Result<(), String> {
        if self.beds[b].status == BedStatus::Occupied {
            // Taken out of service once its patient leaves.
            self.beds[b].out_wanted = true;
            self.push(t + Duration::hours(3), Act::BedOut(b, status));
            return Ok(());
        }
        let id = self.beds[b].id.clone();
        let done = self
            .patch::<Bed>(
                "a bed out of service",
                &id,
                json!({"status": status.as_str()}),
            )
            .await?;
        if done.is_some() {
            let bed = &mut self.beds[b];
            bed.status = status;
            bed.since = t;
            bed.ready_at = None;
            bed.out_wanted = false;
            self.counts.bed_status_changes += 1;
        }
        Ok(())
    }

    async fn bed_back(&mut self, b: usize, t: DateTime<Utc>) -> Result<(), String> {
        if !matches!(
            self.beds[b].status,
            BedStatus::Maintenance | BedStatus::Blocked
        ) {
            if self.beds[b].out_wanted {
                self.push(t + Duration::hours(6), Act::BedBack(b));
            }
            return Ok(());
        }
        let id = self.beds[b].id.clone();
        let done = self
            .patch::<Bed>("a bed back in service", &id, json!({"status": "available"}))
            .await?;
        if done.is_some() {
            let bed = &mut self.beds[b];
            bed.status = BedStatus::Available;
            bed.since = t;
            self.counts.bed_status_changes += 1;
        }
        Ok(())
    }

    // ------------------------------------------------------------ patients and appointments

    async fn register(&mut self, p: usize) -> Result<(), String> {
        let pat = &self.patients[p];
        let data = Patient {
            full_name: pat.full_name.clone(),
            cpf: pat.cpf.clone(),
            birth_date: pat.birth,
            sex: pat.sex,
            phone: pat.phone.clone(),
            email: pat.email.clone(),
            emergency_contact: pat.contact.clone(),
            allergies: pat.allergies.clone(),
            insurer_id: pat.insurer.map(|i| self.insurers[i].clone()),
        };
        let address = pat.address.clone();
        let result = Repository::<Patient>::new(self.deps.clone())
            .create(None, data)
            .await;
        let Some(record) = self.accept("a patient", result)? else {
            return Ok(());
        };
        self.counts.patients += 1;
        if let Some(address) = address {
            let result = Repository::<Address>::new(self.deps.clone())
                .create(Some(&record.id), address)
                .await;
            if self.accept("an address", result)?.is_some() {
                self.counts.addresses += 1;
            }
        }
        self.patients[p].id = Some(record.id);
        Ok(())
    }

    async fn book(&mut self, a: usize) -> Result<(), String> {
        // The patient planned died meanwhile: the slot goes to another (demand stays steady).
        if !self.patients[self.appts[a].patient].alive {
            let (spec, start) = (self.appts[a].spec, self.appts[a].start);
            let Some(p) = self.outpatient(spec, start, self.now()) else {
                return Ok(());
            };
            self.patient_busy.insert((p, start.timestamp()));
            self.appts[a].patient = p;
        }
        let ap = &self.appts[a];
        let pat = &self.patients[ap.patient];
        let Some(patient_id) = pat.id.clone().filter(|_| pat.alive) else {
            return Ok(());
        };
        let notes = match self.rng.u32(0..6) {
            0 => Some("Retorno".to_string()),
            1 => Some("Primeira consulta".to_string()),
            2 => Some("Encaminhado pela unidade básica de saúde".to_string()),
            _ => None,
        };
        let ap = &self.appts[a];
        let data = Appointment {
            patient_id,
            doctor_id: self.doctors[ap.doctor].id.clone(),
            specialty_id: self.specs[ap.spec].clone(),
            starts_at: ap.start,
            duration_minutes: 30,
            notes,
            status: AppointmentStatus::Booked,
            cancel_reason: None,
        };
        let result = Repository::<Appointment>::new(self.deps.clone())
            .create(None, data)
            .await;
        if let Some(record) = self.accept("an appointment", result)? {
            self.appts[a].id = Some(record.id);
            self.counts.appointments += 1;
            if self.appts[a].outcome == Outcome::Ahead {
                self.counts.appointments_ahead += 1;
            }
        }
        Ok(())
    }

    /// The appointment's id while its patient is alive; a patient who died meanwhile has
    /// their appointment cancelled.
    async fn live_appointment(&mut self, a: usize) -> Result<Option<String>, String> {
        let Some(id) = self.appts[a].id.clone() else {
            return Ok(None);
        };
        if self.patients[self.appts[a].patient].alive {
            return Ok(Some(id));
        }
        let patch = json!({"status": "cancelled", "cancel_reason": "Óbito do paciente"});
        if self
            .patch::<Appointment>("cancelling an appointment", &id, patch)
            .await?
            .is_some()
        {
            self.counts.appointments_cancelled += 1;
        }
        self.appts[a].id = None;
        Ok(None)
    }

    async fn check_in(&mut self, a: usize) -> Result<(), String> {
        let Some(id) = self.live_appointment(a).await? else {
            return Ok(());
        };
        if self
            .patch::<Appointment>("a check-in", &id, json!({"status": "checked_in"}))
            .await?
            .is_none()
        {
            self.appts[a].id = None;
        }
        Ok(())
    }

    async fn appointment_ends(&mut self, a: usize, how: Outcome) -> Result<(), String> {
        let Some(id) = self.live_appointment(a).await? else {
            return Ok(());
        };
        let patch = if how == Outcome::NoShow {
            json!({"status": "noshow"})
        } else {
            let reason = self.pick(&[
                "Paciente desmarcou",
                "Paciente remarcou por telefone",
                "Médico em congresso",
                "Paciente internado",
                "Conflito de horário do paciente",
            ]);
            json!({"status": "cancelled", "cancel_reason": reason})
        };
        if self
            .patch::<Appointment>("ending an appointment", &id, patch)
            .await?
            .is_some()
        {
            if how == Outcome::NoShow {
                self.counts.appointments_noshow += 1;
            } else {
                self.counts.appointments_cancelled += 1;
            }
        }
        Ok(())
    }

    /// Fulfilled: billed, and now and then exams requested and a prescription dispensed at
    /// the hospital's outpatient pharmacy.
    async fn fulfil(&mut self, a: usize, t: DateTime<Utc>) -> Result<(), String> {
        let Some(id) = self.live_appointment(a).await? else {
            return Ok(());
        };
        if self
            .patch::<Appointment>(
                "fulfilling an appointment",
                &id,
                json!({"status": "fulfilled"}),
            )
            .await?
            .is_none()
        {
            return Ok(());
        }
        self.counts.appointments_fulfilled += 1;
        let (p, doctor, spec) = (
            self.appts[a].patient,
            self.appts[a].doctor,
            self.appts[a].spec,
        );
        if self.chance(0.92) {
            let at = t + self.minutes(5, 40);
            self.push(at, Act::BillAppointment(a));
        }
        let exams = SPECS[spec].exams;
        if !exams.is_empty() && self.chance(0.35) {
            let n = if exams.len() > 1 && self.chance(0.3) {
                2
            } else {
                1
            };
            let first = self.rng.usize(0..exams.len());
            for k in 0..n {
                let name = exams[(first + k) % exams.len()];
                self.exams.push(ExamM {
                    patient: p,
                    doctor,
                    def: exam_index(name),
                    priority: Priority::Routine,
                    admission: None,
                    id: None,
                    status: ExamStatus::Requested,
                });
                let at = t + self.minutes(1, 3);
                self.push(at, Act::RequestExam(self.exams.len() - 1));
            }
        }
        let rx = SPECS[spec].rx;
        if !rx.is_empty() && self.chance(0.3) {
            let n = if rx.len() > 1 && self.chance(0.4) {
                2
            } else {
                1
            };
            let first = self.rng.usize(0..rx.len());
            let items: Vec<&'static ItemDef> =
                (0..n).map(|k| &rx[(first + k) % rx.len()]).collect();
            self.rxs.push(RxM {
                patient: p,
                doctor,
                admission: None,
                days_done: vec![0; items.len()],
                items,
                id: None,
                active: false,
            });
            let at = t + self.minutes(3, 6);
            self.push(at, Act::Prescribe(self.rxs.len() - 1));
        }
        Ok(())
    }

    // ------------------------------------------------------------ billing

    /// An entry by the billing staff (origin `manual`), issued today.
    async fn bill(
        &mut self,
        patient: usize,
        appointment: Option<String>,
        description: String,
        base_cents: i64,
    ) -> Result<(), String> {
        let pat = &self.patients[patient];
        let Some(patient_id) = pat.id.clone() else {
            return Ok(());
        };
        let insurer = pat.insurer;
        // Insurers pay their agreed price; private pay the hospital's list price.
        let factor = match insurer {
            Some(i) => [0.95, 0.9, 0.88, 1.0, 0.85, 0.9][i],
            None => 1.35,
        };
        let amount = round_up(base_cents as f64 * factor, 100);
        let today = self.day_of(self.now());
        let terms = insurer.map_or(PRIVATE_TERMS, |i| i64::from(INSURERS[i].terms));
        let data = BillingEntry {
            patient_id,
            insurer_id: insurer.map(|i| self.insurers[i].clone()),
            admission_id: None,
            appointment_id: appointment,
            description,
            amount_cents: amount,
            currency: Currency::BRL,
            issued_on: None,
            due_on: today + Duration::days(terms),
            status: BillingStatus::Pending,
            paid_on: None,
            cancel_reason: None,
            origin: Default::default(),
        };
        let result = Repository::<BillingEntry>::new(self.deps.clone())
            .create(None, data)
            .await;
        if let Some(record) = self.accept("a billing entry", result)? {
            self.counts.billing_entries += 1;
            self.bills.push(BillM {
                id: record.id,
                due: record.data.due_on,
                issued: record.data.issued_on.unwrap_or(today),
                state: BillState::Pending,
            });
            let t = self.now();
            self.plan_bill(self.bills.len() - 1, insurer, t);
        }
        Ok(())
    }

    async fn bill_appointment(&mut self, a: usize) -> Result<(), String> {
        let (p, spec, id) = (
            self.appts[a].patient,
            self.appts[a].spec,
            self.appts[a].id.clone(),
        );
        let description = format!("Consulta ambulatorial — {}", SPECS[spec].name);
        self.bill(p, id, description, SPECS[spec].consult_cents)
            .await
    }

    async fn bill_exam(&mut self, e: usize) -> Result<(), String> {
        let def = &EXAMS[self.exams[e].def];
        let Some(price) = def.price_cents else {
            return Ok(());
        };
        let description = format!("Exame: {}", def.name);
        self.bill(self.exams[e].patient, None, description, price)
            .await
    }

    /// What becomes of an entry: most are paid (private pay mostly at the desk, insurers within
    /// or a little after their terms), some never (the overdue ones), a few are cancelled.
    fn plan_bill(&mut self, b: usize, insurer: Option<usize>, created: DateTime<Utc>) {
        let unpaid = insurer.map_or(PRIVATE_UNPAID, |i| INSURERS[i].unpaid);
        let (issued, due) = (self.bills[b].issued, self.bills[b].due);
        let r = self.rng.f64();
        if r < 0.02 {
            let day = issued + Duration::days(self.rng.i64(1..=6));
            let at = self.at_between(day, 9.0, 17.0);
            self.push(at, Act::CancelBill(b));
        } else if r >= 0.02 + unpaid {
            let terms = (due - issued).num_days().max(1) as f64;
            let at = if insurer.is_none() && self.chance(0.7) {
                created + self.minutes(5, 90)
            } else {
                let days = (terms * self.uniform(0.35, 1.25)).round() as i64;
                self.at_between(issued + Duration::days(days.max(1)), 9.5, 17.5)
            };
            self.push(at.max(created), Act::Pay(b));
        }
    }

    async fn pay(&mut self, b: usize) -> Result<(), String> {
        if self.bills[b].state != BillState::Pending {
            return Ok(());
        }
        let id = self.bills[b].id.clone();
        let today = self.day_of(self.now());
        let patch = json!({"status": "paid", "paid_on": today.to_string()});
        if self
            .patch::<BillingEntry>("a payment", &id, patch)
            .await?
            .is_some()
        {
            self.bills[b].state = BillState::Paid;
        }
        Ok(())
    }

    async fn cancel_bill(&mut self, b: usize) -> Result<(), String> {
        if self.bills[b].state != BillState::Pending {
            return Ok(());
        }
        let id = self.bills[b].id.clone();
        let reason = self.pick(&[
            "Lançamento em duplicidade",
            "Glosa integral do convênio",
            "Cortesia autorizada pela diretoria",
        ]);
        let patch = json!({"status": "cancelled", "cancel_reason": reason});
        if self
            .patch::<BillingEntry>("cancelling an entry", &id, patch)
            .await?
            .is_some()
        {
            self.bills[b].state = BillState::Cancelled;
        }
        Ok(())
    }

    // ------------------------------------------------------------ exams

    fn open_admission(&self, a: Option<usize>) -> Option<Option<String>> {
        match a {
            None => Some(None),
            Some(a) => (self.adms[a].state == AdmState::Open)
                .then(|| self.adms[a].id.clone())
                .flatten()
                .map(Some),
        }
    }

    async fn request_exam(&mut self, e: usize, t: DateTime<Utc>) -> Result<(), String> {
        let x = &self.exams[e];
        let pat = &self.patients[x.patient];
        let (Some(patient_id), true) = (pat.id.clone(), pat.alive) else {
            return Ok(());
        };
        let Some(admission_id) = self.open_admission(x.admission) else {
            return Ok(());
        };
        let data = Exam {
            patient_id,
            doctor_id: self.doctors[x.doctor].id.clone(),
            exam_type: EXAMS[x.def].name.into(),
            priority: x.priority,
            admission_id,
            notes: None,
            status: ExamStatus::Requested,
            requested_at: None,
            started_at: None,
            completed_at: None,
            result: None,
            cancel_reason: None,
        };
        let result = Repository::<Exam>::new(self.deps.clone())
            .create(None, data)
            .await;
        let Some(record) = self.accept("an exam", result)? else {
            return Ok(());
        };
        self.exams[e].id = Some(record.id);
        self.counts.exams += 1;
        let inpatient = self.exams[e].admission.is_some();
        if self.chance(if inpatient { 0.02 } else { 0.05 }) {
            let at = t + self.minutes(60, 48 * 60);
            self.push(at, Act::CancelExam(e));
            return Ok(());
        }
        let day = self.day_of(t);
        let kind = EXAMS[self.exams[e].def].kind;
        let start = match (kind, inpatient) {
            (ExamKind::Pathology, _) | (_, true) => t + self.minutes(10, 90),
            (ExamKind::Lab | ExamKind::Culture, false) => {
                let d = day + Duration::days(self.rng.i64(1..=3));
                self.at_between(d, 7.0, 10.0)
            }
            (ExamKind::Imaging, false) => {
                let d = day + Duration::days(self.rng.i64(1..=7));
                self.at_between(d, 8.0, 17.5)
            }
        };
        let takes = match kind {
            ExamKind::Lab if inpatient => self.minutes(60, 6 * 60),
            ExamKind::Lab => self.minutes(60, 10 * 60),
            ExamKind::Culture => self.minutes(48 * 60, 120 * 60),
            ExamKind::Imaging if inpatient => self.minutes(60, 12 * 60),
            ExamKind::Imaging => self.minutes(60, 36 * 60),
            ExamKind::Pathology => self.minutes(5 * 24 * 60, 12 * 24 * 60),
        };
        self.push(start, Act::StartExam(e));
        // In the last week, now and then a result not released yet: the exams-overdue job's
        // concern (besides the cultures and biopsies that take days anyway).
        let recent = day >= self.today - Duration::days(7);
        if !(recent && self.chance(0.04)) {
            self.push(start + takes, Act::CompleteExam(e));
        }
        Ok(())
    }

    async fn start_exam(&mut self, e: usize) -> Result<(), String> {
        let Some(id) = self.exams[e].id.clone() else {
            return Ok(());
        };
        if self.exams[e].status != ExamStatus::Requested {
            return Ok(());
        }
        let inpatient = self.exams[e].admission;
        if inpatient.is_some() && self.open_admission(inpatient).is_none() {
            let patch = json!({"status": "cancelled", "cancel_reason": "Alta antes da realização do exame"});
            if self
                .patch::<Exam>("cancelling an exam", &id, patch)
                .await?
                .is_some()
            {
                self.exams[e].status = ExamStatus::Cancelled;
                self.counts.exams_cancelled += 1;
            }
            return Ok(());
        }
        if self
            .patch::<Exam>("starting an exam", &id, json!({"status": "in_progress"}))
            .await?
            .is_some()
        {
            self.exams[e].status = ExamStatus::InProgress;
        }
        Ok(())
    }

    async fn complete_exam(&mut self, e: usize, t: DateTime<Utc>) -> Result<(), String> {
        let Some(id) = self.exams[e].id.clone() else {
            return Ok(());
        };
        if self.exams[e].status != ExamStatus::InProgress {
            return Ok(());
        }
        let kind = EXAMS[self.exams[e].def].kind;
        let normal = self.chance(0.72);
        let result = match (kind, normal) {
            (ExamKind::Lab, true) => "Resultados dentro dos valores de referência.",
            (ExamKind::Lab, false) => {
                "Alteração discreta em relação aos valores de referência; correlacionar com a clínica."
            }
            (ExamKind::Culture, true) => "Cultura negativa após incubação.",
            (ExamKind::Culture, false) => {
                "Crescimento bacteriano identificado; antibiograma em anexo ao laudo."
            }
            (ExamKind::Imaging, true) => "Exame sem alterações significativas.",
            (ExamKind::Imaging, false) => {
                "Achados descritos no laudo; sugere-se correlação clínica e controle evolutivo."
            }
            (ExamKind::Pathology, _) => {
                "Processo inflamatório crônico inespecífico. Ausência de malignidade na amostra."
            }
        };
        let patch = json!({"status": "completed", "result": result});
        if self
            .patch::<Exam>("completing an exam", &id, patch)
            .await?
            .is_some()
        {
            self.exams[e].status = ExamStatus::Completed;
            self.counts.exams_completed += 1;
            if self.exams[e].admission.is_none()
                && EXAMS[self.exams[e].def].price_cents.is_some()
                && self.chance(0.9)
            {
                let at = t + self.minutes(60, 240);
                self.push(at, Act::BillExam(e));
            }
        }
        Ok(())
    }

    async fn cancel_exam(&mut self, e: usize) -> Result<(), String> {
        let Some(id) = self.exams[e].id.clone() else {
            return Ok(());
        };
        if !matches!(
            self.exams[e].status,
            ExamStatus::Requested | ExamStatus::InProgress
        ) {
            return Ok(());
        }
        let reason = self.pick(&[
            "Paciente não compareceu para a coleta",
            "Exame solicitado em duplicidade",
            "Cancelado a pedido do médico",
        ]);
        let patch = json!({"status": "cancelled", "cancel_reason": reason});
        if self
            .patch::<Exam>("cancelling an exam", &id, patch)
            .await?
            .is_some()
        {
            self.exams[e].status = ExamStatus::Cancelled;
            self.counts.exams_cancelled += 1;
        }
        Ok(())
    }

    // ------------------------------------------------------------ prescriptions and stock

    async fn prescribe(&mut self, r: usize, t: DateTime<Utc>) -> Result<(), String> {
        let rx = &self.rxs[r];
        let pat = &self.patients[rx.patient];
        let (Some(patient_id), true) = (pat.id.clone(), pat.alive) else {
            return Ok(());
        };
        let Some(admission_id) = self.open_admission(rx.admission) else {
            return Ok(());
        };
        let items = rx
            .items
            .iter()
            .map(|i| PrescriptionItem {
                medication_id: self.meds[med_index(i.med)].id.clone(),
                dose: i.dose.into(),
                dose_unit: i.unit.into(),
                frequency: i.freq.into(),
                route: i.route,
                duration_days: i.days,
                quantity: Some(i.per_day * i64::from(i.days)),
            })
            .collect();
        let data = Prescription {
            patient_id,
            doctor_id: self.doctors[rx.doctor].id.clone(),
            admission_id,
            items,
            notes: None,
            status: PrescriptionStatus::Active,
            cancel_reason: None,
        };
        let result = Repository::<Prescription>::new(self.deps.clone())
            .create(None, data)
            .await;
        let Some(record) = self.accept("a prescription", result)? else {
            return Ok(());
        };
        self.rxs[r].id = Some(record.id);
        self.rxs[r].active = true;
        self.counts.prescriptions += 1;
        let at = t + self.minutes(10, 40);
        for i in 0..self.rxs[r].items.len() {
            self.push(at, Act::Dispense(r, i));
        }
        if self.rxs[r].admission.is_none() {
            self.push(at + Duration::minutes(1), Act::CompletePrescription(r));
        } else if self.chance(0.03) {
            let at = t + self.minutes(6 * 60, 30 * 60);
            self.push(at, Act::CancelPrescription(r));
        }
        Ok(())
    }

    /// One item's dispensation: the whole course for an outpatient; for an inpatient, three
    /// days at a time while the stay lasts (the pharmacy's cart).
    async fn dispense(&mut self, r: usize, i: usize, t: DateTime<Utc>) -> Result<(), String> {
        let rx = &self.rxs[r];
        let Some(id) = rx.id.clone().filter(|_| rx.active) else {
            return Ok(());
        };
        let inpatient = rx.admission.is_some();
        if self.open_admission(rx.admission).is_none() {
            return Ok(());
        }
        let item = rx.items[i];
        let left = item.days.saturating_sub(rx.days_done[i]);
        if left == 0 {
            return Ok(());
        }
        let days = if inpatient { left.min(3) } else { left };
        let m = med_index(item.med);
        let qty = (item.per_day * i64::from(days)).min(self.meds[m].stock);
        if qty <= 0 {
            self.counts.dispensations_short += 1;
        } else {
            let who = self.pharmacist();
            let result = prescriptions::dispense(
                &self.deps,
                &id,
                NewDispensation {
                    item: i as u32,
                    quantity: qty,
                    notes: None,
                },
                &who,
            )
            .await;
            if self.accept("a dispensation", result)?.is_some() {
                let today = self.day_of(t);
                let med = &mut self.meds[m];
                med.stock -= qty;
                *med.usage.entry(today).or_default() += qty;
                self.counts.dispensations += 1;
            }
        }
        self.rxs[r].days_done[i] += days;
        if inpatient && self.rxs[r].days_done[i] < item.days {
            self.push(t + Duration::days(3), Act::Dispense(r, i));
        }
        Ok(())
    }

    async fn end_prescription(&mut self, r: usize, cancel: Option<&str>) -> Result<(), String> {
        let Some(id) = self.rxs[r].id.clone().filter(|_| self.rxs[r].active) else {
            return Ok(());
        };
        let patch = match cancel {
            Some(reason) => json!({"status": "cancelled", "cancel_reason": reason}),
            None => json!({"status": "completed"}),
        };
        if self
            .patch::<Prescription>("ending a prescription", &id, patch)
            .await?
            .is_some()
        {
            self.rxs[r].active = false;
        }
        Ok(())
    }

    /// Units used in the days `from..to`.
    fn used(&self, m: usize, from: NaiveDate, to: NaiveDate) -> i64 {
        self.meds[m].usage.range(from..to).map(|(_, n)| n).sum()
    }

    /// The weekly delivery: three weeks of the recent use above the minimum. The supplier of
    /// the two short medications stopped delivering in the last ten days.
    async fn restock(&mut self, m: usize, t: DateTime<Utc>) -> Result<(), String> {
        let day = self.day_of(t);
        if SHORT.contains(&MEDS[m].name) && day >= self.today - Duration::days(10) {
            return Ok(());
        }
        let recent = self.used(m, day - Duration::days(14), day) as f64 / 14.0;
        let daily = recent.max(self.meds[m].prior * 0.5);
        let target = round_up(daily * 21.0, 10) + self.meds[m].minimum;
        let qty = round_up((target - self.meds[m].stock) as f64, 10);
        if qty >= 10 {
            self.invoice += 1 + self.rng.u32(0..40);
            let reason = format!(
                "Recebimento — NF-e {:06} (Distribuidora Paulista de Medicamentos)",
                self.invoice
            );
            self.receive(m, qty, &reason).await?;
        }
        Ok(())
    }

    /// A lot recalled by its manufacturer three days before the end: what is left covers a few
    /// days of use.
    async fn recall(&mut self, m: usize) -> Result<(), String> {
        let day = self.day_of(self.now());
        let daily = self.used(m, self.today - Duration::days(30), day) as f64
            / (day - (self.today - Duration::days(30))).num_days().max(1) as f64;
        let keep = (daily * 5.0).ceil().max(1.0) as i64;
        let out = self.meds[m].stock - keep;
        if out <= 0 {
            return Ok(());
        }
        let who = self.pharmacist();
        let lot = format!("L{}{:03}", day.format("%y%m"), self.rng.u32(0..1000));
        let result = medications::record_movement(
            &self.deps,
            &self.meds[m].id.clone(),
            NewStockMovement {
                kind: MovementKind::Adjusted,
                quantity: -out,
                reason: format!("Recolhimento do lote {lot} determinado pelo fabricante"),
            },
            &who,
        )
        .await;
        if self.accept("a lot recall", result)?.is_some() {
            self.meds[m].stock -= out;
            self.counts.stock_recalls += 1;
        }
        Ok(())
    }
}

/// `x` rounded up to a multiple of `step`.
fn round_up(x: f64, step: i64) -> i64 {
    let steps = (x / step as f64).ceil().max(0.0) as i64;
    steps * step
}

/// `ana.ribeiro@santaclara.example` for "Ana Paula Ribeiro".
fn work_email(name: &str) -> String {
    let folded = validate::fold(name);
    let words: Vec<&str> = folded.split_whitespace().collect();
    format!(
        "{}.{}@santaclara.example",
        words.first().copied().unwrap_or("equipe"),
        words.last().copied().unwrap_or("hospital")
    )
}
