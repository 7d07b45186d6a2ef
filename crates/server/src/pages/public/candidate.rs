//! "Am I a candidate?": the screening questions in plain words, answered by the engine's
//! screening (`ScreeningRequest::from_json` + `screening::screen`, as `POST
//! /api/v1/decisions/screening` does), with each reason's sources and what to do next.
//!
//! The form's fields map to the contract: `concern`, `scar_type`, `age_years`, `fitzpatrick`,
//! `finding` (one per ticked finding) and `last.<code>` (the date of a timed finding). An input
//! error comes back from the engine with its field path and is shown on the form, values kept.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use needlepath_core::request::ScreeningRequest;
use needlepath_core::screening::screen;
use needlepath_core::vocabulary::{Concern, Finding, ScarType};
use serde_json::{Value, json};

use crate::App;
use crate::api::input;
use crate::i18n::Locale;
use crate::pages::form::{FormData, Posted};
use crate::pages::public::{Choice, Said, shown};
use crate::pages::view::{self, Badge};
use crate::pages::{Ctx, Frame, PageError, PageResult, Shown, page, page_with};
use crate::problem::ApiError;

/// The findings, grouped as a person thinks about them; every finding is in exactly one group.
pub const FINDING_GROUPS: &[(&str, &[Finding])] = &[
    ("candidate.group.pregnancy", &[Finding::Pregnant, Finding::Breastfeeding]),
    (
        "candidate.group.skin_now",
        &[
            Finding::ActiveAcne,
            Finding::SkinInfection,
            Finding::ColdSoreActive,
            Finding::OpenWound,
            Finding::EczemaFlare,
            Finding::PsoriasisFlare,
            Finding::RosaceaFlare,
            Finding::Sunburn,
            Finding::SuspiciousLesion,
        ],
    ),
    (
        "candidate.group.history",
        &[
            Finding::ColdSoreHistory,
            Finding::AtopicDermatitis,
            Finding::Psoriasis,
            Finding::Rosacea,
            Finding::KeloidTendency,
            Finding::PreviousMicroneedling,
            Finding::PreviousSessionReaction,
            Finding::PigmentationFromPreviousSession,
        ],
    ),
    (
        "candidate.group.treatments",
        &[
            Finding::RadiationTherapyToArea,
            Finding::RadiationTherapyElsewhere,
            Finding::Chemotherapy,
            Finding::Isotretinoin,
            Finding::RecentProcedureInArea,
            Finding::TopicalRetinoid,
            Finding::HomeMicroneedling,
            Finding::Anticoagulant,
        ],
    ),
    (
        "candidate.group.health",
        &[Finding::BleedingDisorder, Finding::BruisesEasily, Finding::DiabetesUncontrolled, Finding::Immunosuppressed],
    ),
    (
        "candidate.group.allergies",
        &[Finding::NickelAllergy, Finding::AnestheticAllergy, Finding::TopicalProductAllergy],
    ),
];

/// One finding's checkbox, with its date question when it is timed.
#[derive(Debug, Clone)]
pub struct FindingRow {
    pub code: &'static str,
    pub label: String,
    pub checked: bool,
    pub timed: bool,
    pub date_label: String,
    pub date_value: String,
}

#[derive(Debug, Clone)]
pub struct FindingGroup {
    pub legend: String,
    pub rows: Vec<FindingRow>,
}

/// The screening's answer, in words.
#[derive(Debug, Clone)]
pub struct Answer {
    pub badge: Badge,
    pub decision: &'static str,
    pub reasons: Vec<Said>,
    pub precautions: Vec<Said>,
    pub defer_until: Option<String>,
    pub clinician_review: bool,
}

#[derive(Template)]
#[template(path = "public/candidate.html")]
struct CandidatePage {
    f: Frame,
    concerns: Vec<Choice>,
    scar_types: Vec<Choice>,
    skin_types: Vec<Choice>,
    age: String,
    groups: Vec<FindingGroup>,
    error: Option<Shown>,
    answer: Option<Answer>,
}

impl CandidatePage {
    fn has_scar_type(&self) -> bool {
        self.scar_types.iter().any(|c| c.checked)
    }

    fn has_skin_type(&self) -> bool {
        self.skin_types.iter().any(|c| c.checked)
    }
}

fn choices(t: &Locale, kind: &str, codes: &[&'static str], form: &FormData, name: &str) -> Vec<Choice> {
    codes
        .iter()
        .map(|c| Choice { value: (*c).to_string(), label: t.label(kind, c).to_string(), checked: form.get(name) == *c })
        .collect()
}

fn build(ctx: &Ctx, form: &FormData, error: Option<Shown>, answer: Option<Answer>) -> CandidatePage {
    let t = ctx.t;
    let concerns: Vec<&'static str> = Concern::ALL.iter().map(|c| c.as_str()).collect();
    let scars: Vec<&'static str> = ScarType::ALL.iter().map(|c| c.as_str()).collect();
    let skin_types = (1..=6)
        .map(|n| {
            let v = n.to_string();
            Choice {
                label: t.s(&format!("candidate.skin.{n}")).to_string(),
                checked: form.get("fitzpatrick") == v,
                value: v,
            }
        })
        .collect();
    let groups = FINDING_GROUPS
        .iter()
        .map(|(legend, findings)| FindingGroup {
            legend: t.s(legend).to_string(),
            rows: findings
                .iter()
                .map(|f| FindingRow {
                    code: f.as_str(),
                    label: t.label("finding", f.as_str()).to_string(),
                    checked: form.has("finding", f.as_str()),
                    timed: f.is_timed(),
                    date_label: t.label("finding_date", f.as_str()).to_string(),
                    date_value: form.get(&format!("last.{}", f.as_str())).to_string(),
                })
                .collect(),
        })
        .collect();
    CandidatePage {
        f: ctx.frame(t.s("candidate.title")),
        concerns: choices(t, "concern", &concerns, form, "concern"),
        scar_types: choices(t, "scar_type", &scars, form, "scar_type"),
        skin_types,
        age: form.get("age_years").to_string(),
        groups,
        error,
        answer,
    }
}

pub async fn page_get(ctx: Ctx) -> PageResult {
    page(&build(&ctx, &FormData::default(), None, None))
}

/// The form as the contract's screening request, and the finding code at each `findings[i]`.
pub(crate) fn request(form: &FormData, t: &Locale) -> Result<(Value, Vec<String>), ApiError> {
    form.refuse_unticked_finding_dates(t, |code| format!("last.{code}"))?;
    let mut req = json!({ "concern": form.get("concern") });
    if form.opt("concern").is_none() {
        return Err(ApiError::invalid("concern", "is required: choose what you would like to treat"));
    }
    if let Some(s) = form.opt("scar_type") {
        req["scar_type"] = json!(s);
    }
    if let Some(age) = form.parsed::<i64>("age_years", "a whole number of years, such as 34")? {
        req["age_years"] = json!(age);
    }
    if let Some(f) = form.parsed::<i64>("fitzpatrick", "a skin type from 1 to 6")? {
        req["fitzpatrick"] = json!(f);
    }
    let codes: Vec<String> = form.all("finding").into_iter().map(str::to_string).collect();
    let findings: Vec<Value> = codes
        .iter()
        .map(|c| match form.opt(&format!("last.{c}")) {
            Some(d) => json!({ "code": c, "last": d }),
            None => json!({ "code": c }),
        })
        .collect();
    req["findings"] = Value::Array(findings);
    Ok((req, codes))
}

/// The form field behind an engine field path, and its question in words.
fn field_of(t: &Locale, path: &str, codes: &[String]) -> (String, String) {
    if let Some(rest) = path.strip_prefix("findings[") {
        let i: Option<usize> = rest.split(']').next().and_then(|n| n.parse().ok());
        if let Some(code) = i.and_then(|i| codes.get(i)) {
            let what = t.label("finding", code);
            return if path.ends_with(".last") {
                (format!("last.{code}"), format!("{what} – {}", t.label("finding_date", code)))
            } else {
                (format!("finding-{code}"), what.to_string())
            };
        }
    }
    if let Some(code) = path.strip_prefix("last.") {
        return (path.to_string(), format!("{} – {}", t.label("finding", code), t.label("finding_date", code)));
    }
    let key = match path {
        "concern" => "candidate.concern",
        "scar_type" => "candidate.scar_type",
        "age_years" => "candidate.age",
        "fitzpatrick" => "candidate.skin_type",
        _ => "",
    };
    (path.to_string(), if key.is_empty() { String::new() } else { t.s(key).to_string() })
}

pub async fn page_post(State(app): State<Arc<App>>, ctx: Ctx, Posted(form): Posted) -> PageResult {
    let t = ctx.t;
    let today = app.now().date_naive();
    let mut codes = Vec::new();
    let parsed = request(&form, t).and_then(|(json, c)| {
        codes = c;
        ScreeningRequest::from_json(&json, today).map_err(input)
    });
    let req = match parsed {
        Ok(r) => r,
        Err(e) => {
            let (field, label) = field_of(t, e.field.as_deref().unwrap_or_default(), &codes);
            let Some(s) = shown(&e, field, &label, t) else { return Err(PageError(e)) };
            return page_with(StatusCode::UNPROCESSABLE_ENTITY, &build(&ctx, &form, Some(s), None));
        }
    };
    let p = &app.protocol;
    let result = screen(p, &req);
    let answer = Answer {
        badge: view::decision(t, result.decision),
        decision: result.decision.as_str(),
        reasons: result.reasons.iter().map(|r| Said::new(p, r.message, r.sources)).collect(),
        precautions: result.precautions.iter().map(|s| Said::new(p, &s.message, &s.sources)).collect(),
        defer_until: result.defer_until.map(view::date),
        clinician_review: result.clinician_review_required,
    };
    page(&build(&ctx, &form, None, Some(answer)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_finding_is_asked_exactly_once() {
        for f in Finding::ALL {
            let n = FINDING_GROUPS.iter().flat_map(|(_, fs)| fs.iter()).filter(|g| *g == f).count();
            assert_eq!(n, 1, "{}", f.as_str());
        }
    }

    #[test]
    fn keys_built_at_run_time_exist() {
        let t = crate::i18n::default_locale();
        let mut keys: Vec<String> = FINDING_GROUPS.iter().map(|(k, _)| (*k).to_string()).collect();
        keys.extend((1..=6).map(|n| format!("candidate.skin.{n}")));
        keys.extend(
            needlepath_core::vocabulary::Decision::ALL.iter().map(|d| format!("candidate.next_for.{}", d.as_str())),
        );
        keys.extend((1..=4).map(|g| format!("cost.grade_{g}")));
        for g in ["expected", "concerning", "emergency"] {
            keys.push(format!("check_in.group.{g}"));
        }
        let missing: Vec<&String> = keys.iter().filter(|k| !t.has(k)).collect();
        assert!(missing.is_empty(), "{missing:?}");
    }

    #[test]
    fn the_form_becomes_the_contract_request() {
        let form = FormData::parse(
            b"concern=acne_scars&age_years=34&finding=sunburn&last.sunburn=2026-01-02&finding=pregnant",
        )
        .unwrap();
        let (req, codes) = request(&form, crate::i18n::default_locale()).unwrap();
        assert_eq!(req["age_years"], 34);
        assert_eq!(req["findings"][0], json!({ "code": "sunburn", "last": "2026-01-02" }));
        assert_eq!(codes, vec!["sunburn", "pregnant"]);
        let bad = FormData::parse(b"concern=acne_scars&age_years=old").unwrap();
        assert_eq!(request(&bad, crate::i18n::default_locale()).unwrap_err().field.as_deref(), Some("age_years"));
        let t = crate::i18n::default_locale();
        assert_eq!(field_of(t, "findings[0].last", &codes).0, "last.sunburn");
    }
}
