//! What is loaded: each target's requests (who asks, with which cookie and CSRF token) and the
//! goal its throughput is held to, as a share of the baseline measured in the same run.

use clap::ValueEnum;

use crate::http::Req;
use crate::seed::{Patient, Seed};

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Target {
    Healthz,
    ApiMeNew,
    ApiMeHeavy,
    TodayNew,
    TodayHeavy,
    StaffQueue,
    StaffPatient,
    CheckInWriters,
    CheckInNew,
    CheckInHeavy,
}

/// The share of the baseline's throughput a target is to reach.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Goal {
    pub min_ratio: f64,
    /// An absolute floor too (check-ins on SQLite: 2,000/s).
    pub min_rps: Option<f64>,
}

/// The check-in every POST sends: mild redness, improving, a normal temperature (a routine
/// answer: no alert is opened, so the rate limit is the only one that could refuse it).
pub const CHECK_IN_BODY: &str =
    r#"{"symptoms":[{"code":"redness","severity":"mild","trend":"improving"}],"temperature_c":36.8}"#;

impl Target {
    pub const ALL: [Target; 10] = [
        Target::Healthz,
        Target::ApiMeNew,
        Target::ApiMeHeavy,
        Target::TodayNew,
        Target::TodayHeavy,
        Target::StaffQueue,
        Target::StaffPatient,
        Target::CheckInWriters,
        Target::CheckInNew,
        Target::CheckInHeavy,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Target::Healthz => "GET /healthz",
            Target::ApiMeNew => "GET /api/v1/me (new patient)",
            Target::ApiMeHeavy => "GET /api/v1/me (heavy patient)",
            Target::TodayNew => "GET /me Today (new patient)",
            Target::TodayHeavy => "GET /me Today (heavy patient)",
            Target::StaffQueue => "GET /staff queue",
            Target::StaffPatient => "GET /staff/patients/{heavy}",
            Target::CheckInWriters => "POST /api/v1/me/check-ins (256 writers)",
            Target::CheckInNew => "POST /api/v1/me/check-ins (new patient)",
            Target::CheckInHeavy => "POST /api/v1/me/check-ins (heavy patient)",
        }
    }

    pub fn goal(self, sqlite: bool) -> Goal {
        let ratio = |min_ratio| Goal { min_ratio, min_rps: None };
        match self {
            Target::Healthz => ratio(0.70),
            Target::ApiMeNew | Target::ApiMeHeavy => ratio(0.20),
            Target::TodayNew | Target::TodayHeavy => ratio(0.15),
            Target::StaffQueue | Target::StaffPatient => ratio(0.10),
            Target::CheckInWriters | Target::CheckInNew | Target::CheckInHeavy => {
                Goal { min_ratio: 0.05, min_rps: sqlite.then_some(2000.0) }
            }
        }
    }

    /// The requests of this target, sent in turn (one, or one per writer).
    pub fn requests(self, seed: &Seed) -> Vec<Req> {
        match self {
            Target::Healthz => vec![Req::get("/healthz")],
            Target::ApiMeNew => vec![patient_get("/api/v1/me", &seed.new_patient)],
            Target::ApiMeHeavy => vec![patient_get("/api/v1/me", &seed.heavy_patient)],
            Target::TodayNew => vec![patient_get("/me", &seed.new_patient)],
            Target::TodayHeavy => vec![patient_get("/me", &seed.heavy_patient)],
            Target::StaffQueue => vec![staff_get("/staff", seed)],
            Target::StaffPatient => vec![staff_get(&format!("/staff/patients/{}", seed.heavy_patient.id), seed)],
            Target::CheckInWriters => seed.writers.iter().map(check_in).collect(),
            Target::CheckInNew => vec![check_in(&seed.new_patient)],
            Target::CheckInHeavy => vec![check_in(&seed.heavy_patient)],
        }
    }
}

pub fn patient_get(path: &str, p: &Patient) -> Req {
    Req::get(path).header("cookie", p.cookie.clone())
}

pub fn staff_get(path: &str, seed: &Seed) -> Req {
    Req::get(path).header("cookie", seed.staff.practitioner_cookie.clone())
}

pub fn check_in(p: &Patient) -> Req {
    Req {
        method: "POST".into(),
        path: "/api/v1/me/check-ins".into(),
        headers: vec![
            ("cookie".into(), p.cookie.clone()),
            ("x-csrf-token".into(), p.csrf.clone()),
            ("content-type".into(), "application/json".into()),
        ],
        body: Some(CHECK_IN_BODY.into()),
    }
}

/// The mixed load: 90 % reads spread evenly over `/api/v1/me`, Today, the queue and the staff
/// patient page (patients taken in turn from the writers), 10 % check-in POSTs by the writers.
/// Each entry: a weight and the requests it takes in turn.
pub fn mix(seed: &Seed) -> Vec<(u32, Vec<Req>)> {
    let api_me = seed.writers.iter().map(|p| patient_get("/api/v1/me", p)).collect();
    let today = seed.writers.iter().map(|p| patient_get("/me", p)).collect();
    let queue = vec![staff_get("/staff", seed)];
    let record = seed.writers.iter().map(|p| staff_get(&format!("/staff/patients/{}", p.id), seed)).collect();
    let posts = seed.writers.iter().map(check_in).collect();
    vec![(225, api_me), (225, today), (225, queue), (225, record), (100, posts)]
}
