//! The patient's page (`/staff/patients/{id}`): contact details, appointments and messages
//! (from [`reminders`](super::reminders)) for everyone on staff; for practitioners and admins
//! the clinical record (screenings with their reasons and sources, plans, sessions, check-ins,
//! alerts); for admins "who looked" (the audit of this record).
//! Records are shown as they were decided and stored, never recomputed.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use needlepath_core::pathway::next::{Series, SessionDates};
use needlepath_core::protocol::Protocol;
use needlepath_core::stored::{Reason, Said};
use needlepath_store::{
    ActorKind, AppointmentId, AuditEntry, Patient, PatientId, ReviewDecision, Screening, StaffId, StoreError,
};

use crate::App;
use crate::api::id;
use crate::auth::Authed;
use crate::clinic::chart::{ChartScope, chart};
use crate::i18n::Locale;
use crate::pages::consent_view::{ConsentRow, rows};
use crate::pages::form::FormData;
use crate::pages::outcome_view::{CompareRow, OutcomeView, compare_rows, outcome_view};
use crate::pages::patient::next_view;
use crate::pages::public::cost::money;
use crate::pages::redness_view::{RednessView, redness_view};
use crate::pages::staff::consent::paper_values;
use crate::pages::staff::gates::{BlockerView, blocker_view, override_words};
use crate::pages::staff::reminders::{self, Refused, Section};
use crate::pages::staff::session_fields;
use crate::pages::staff::{local, symptoms_summary};
use crate::pages::view::{self, Badge, SourceRef};
use crate::pages::{Ctx, Frame, PageResult, Shown, page_with};
use crate::policy::Caller;
use crate::problem::ApiError;
use crate::schedule::series_of;

#[derive(Debug, Clone)]
struct Statement {
    label: String,
    message: String,
    badge: Option<Badge>,
    sources: Vec<SourceRef>,
}

#[derive(Debug, Clone)]
struct ScreeningView {
    id: String,
    /// Offer the clinician review form: the latest screening, review required, none recorded,
    /// and the caller a practitioner.
    review_form: bool,
    date: String,
    badge: Badge,
    review_required: bool,
    defer_until: Option<String>,
    reasons: Vec<Statement>,
    precautions: Vec<Statement>,
    recorded_by: String,
    review: Option<String>,
    protocol: String,
}

/// A photo on the patient's page: its thumbnail, the full image's link, and what it shows.
#[derive(Debug, Clone)]
struct PhotoRow {
    image_url: String,
    thumbnail_url: String,
    label: String,
}

#[derive(Debug, Clone)]
struct PlanView {
    created: String,
    by: String,
    concern: String,
    sessions: Vec<String>,
    interval: String,
    cost: Option<String>,
    notes: Vec<Statement>,
}

#[derive(Debug, Clone)]
struct SessionView {
    when: String,
    device: String,
    depth: String,
    areas: String,
    /// The depth per area, in words; empty for sessions recorded without it.
    depths: String,
    products: String,
    numbing: String,
    /// What the protocol's limits said when the session was recorded, with their sources.
    warnings: Vec<String>,
    practitioner: String,
    notes: String,
    override_reason: Option<String>,
    /// The blockers the override named, in words.
    overridden: String,
}

#[derive(Debug, Clone)]
struct CheckInView {
    due: String,
    submitted: Option<String>,
    badge: Option<Badge>,
    symptoms: String,
    temperature: Option<String>,
    note: String,
}

#[derive(Debug, Clone)]
struct AlertView {
    badge: Badge,
    opened: String,
    state: String,
    note: String,
}

#[derive(Debug, Clone)]
struct AuditRow {
    at: String,
    who: String,
    action: String,
    ip: String,
}

#[derive(Template)]
#[template(path = "staff/patient.html")]
struct PatientPage {
    f: Frame,
    p: Patient,
    birth_date: String,
    skin_type: String,
    findings: Vec<String>,
    clinical: bool,
    admin: bool,
    screenings: Vec<ScreeningView>,
    plans: Vec<PlanView>,
    sessions: Vec<SessionView>,
    check_ins: Vec<CheckInView>,
    alerts: Vec<AlertView>,
    /// What would block a session now, in words.
    gates: Vec<BlockerView>,
    /// Where the patient stands with each consent (clinical staff).
    consents: Vec<ConsentRow>,
    /// The paper consent form's error and values after a refusal.
    consent_error: Option<Shown>,
    consent_form: FormData,
    audit: Vec<AuditRow>,
    /// The patient's photos (clinical staff); `None` while their consent to photos is not given.
    photos: Option<Vec<PhotoRow>>,
    /// The standard views (code, words) and the patient's sessions (id, when), for the upload form.
    photo_views: Vec<(&'static str, String)>,
    photo_sessions: Vec<(String, String)>,
    /// The redness index: regions per view and the trend (clinical staff, photos shown).
    redness: Option<RednessView>,
    /// Each view's baseline image (view, URL), the guided camera's guide.
    photo_guides: Vec<(&'static str, String)>,
    /// The latest plan's progress (clinical staff, with a plan) and each view compared.
    outcomes: Option<OutcomeView>,
    compare: Vec<CompareRow>,
    /// The progress section speaks to staff, not to the patient.
    mine: bool,
    /// Appointments and messages, for everyone on staff.
    rem: Section,
    /// What the last action on this page did ("a new invite is on its way to …"), or empty.
    notice: String,
}

/// `?invite=sent` (or `?invite=waiting`, when this service does not send e-mail): the invite
/// form's answer, shown at the top of the page after its redirect.
#[derive(Debug, serde::Deserialize)]
pub struct NoticeQuery {
    pub invite: Option<String>,
    /// `recorded` or `withdrawn`: what the consent form just did.
    pub consent: Option<String>,
    /// `uploaded`: the photo form added a photo.
    pub photo: Option<String>,
    /// `saved`: the grade form saved a grade.
    pub grade: Option<String>,
    /// `saved`: the redness regions form saved regions.
    pub redness: Option<String>,
}

/// A screening reason's code in words: a finding, or `concern:…`, `scar_grade:2`, ….
fn reason_label(t: &Locale, code: &str) -> String {
    match code.split_once(':') {
        Some(("scar_grade", n)) => t.f("record.scar_grade_n", &[("n", n)]),
        Some(("fitzpatrick", n)) => t.f("patients.skin_type_n", &[("n", n)]),
        Some((kind, c)) => t.label(kind, c).to_string(),
        None => t.label("finding", code).to_string(),
    }
}

/// A screening's reasons, each with the decision it leads to as a badge.
fn reasons(t: &Locale, p: &Protocol, list: &[Reason]) -> Vec<Statement> {
    list.iter()
        .map(|r| Statement {
            label: reason_label(t, &r.code),
            message: r.message.clone(),
            badge: Some(view::decision(t, r.effect)),
            sources: view::sources(p, &r.sources),
        })
        .collect()
}

/// Statements without a badge (precautions, a plan's notes).
fn statements(t: &Locale, p: &Protocol, list: &[Said]) -> Vec<Statement> {
    list.iter()
        .map(|r| Statement {
            label: if r.code.is_empty() { String::new() } else { reason_label(t, &r.code) },
            message: r.message.clone(),
            badge: None,
            sources: view::sources(p, &r.sources),
        })
        .collect()
}

fn name_of(names: &HashMap<StaffId, String>, id: Option<StaffId>) -> String {
    id.and_then(|i| names.get(&i).cloned()).unwrap_or_default()
}

fn screening_view(
    t: &Locale,
    p: &Protocol,
    s: &Screening,
    tz: chrono_tz::Tz,
    names: &HashMap<StaffId, String>,
) -> Result<ScreeningView, StoreError> {
    let result = s.read()?;
    Ok(ScreeningView {
        id: s.id.0.to_string(),
        review_form: false,
        date: local(s.created_at, tz),
        badge: view::decision(t, s.decision),
        review_required: result.clinician_review_required,
        defer_until: s.defer_until.map(view::date),
        reasons: reasons(t, p, &result.reasons),
        precautions: statements(t, p, &result.precautions),
        recorded_by: name_of(names, s.recorded_by),
        review: s.reviewed_at.map(|at| {
            let by = name_of(names, s.reviewed_by);
            let note = s.review_note.clone().unwrap_or_default();
            let decision = s.review_decision.map_or("review.no_decision", |d| match d {
                ReviewDecision::Cleared => "review.cleared",
                ReviewDecision::NotCleared => "review.not_cleared",
            });
            t.f(
                "record.reviewed",
                &[("who", &by), ("when", &local(at, tz)), ("note", &note), ("decision", t.s(decision))],
            )
        }),
        protocol: s.protocol_version.clone(),
    })
}

/// The latest plan's sessions as lines: "Session 1: done on …", "Session 2: between … and …
/// — next; booked: …".
fn series_lines(
    t: &Locale,
    s: &Series<AppointmentId>,
    appointments: &[needlepath_store::Appointment],
    tz: chrono_tz::Tz,
) -> Vec<String> {
    s.sessions
        .iter()
        .map(|(n, d)| match d {
            SessionDates::Done { on } => {
                t.f("record.plan_session_done", &[("n", &n.to_string()), ("date", &view::date(*on))])
            }
            SessionDates::Due { window } => {
                let line = t.f(
                    "record.plan_session",
                    &[
                        ("n", &n.to_string()),
                        ("earliest", &view::date(window.earliest)),
                        ("latest", &view::date(window.latest)),
                    ],
                );
                match s.next.filter(|x| x.number == *n) {
                    Some(next) => {
                        let v = next_view(t, &next, appointments, tz);
                        let booked = if v.booked.is_empty() { t.s("today.not_booked").to_string() } else { v.booked };
                        t.f("record.plan_session_next", &[("line", &line), ("booked", &booked)])
                    }
                    None => line,
                }
            }
        })
        .collect()
}

pub async fn show(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let patient_id: PatientId = id(&raw, "patient")?;
    let notice = match q.invite.as_deref() {
        None => None,
        Some("sent") => Some(InviteNotice::Sent),
        Some("waiting") => Some(InviteNotice::Waiting),
        Some(_) => return Err(ApiError::invalid("invite", "accepted: sent, waiting").into()),
    };
    let notice = match q.consent.as_deref() {
        None => notice,
        Some("recorded") => Some(InviteNotice::ConsentRecorded),
        Some("withdrawn") => Some(InviteNotice::ConsentWithdrawn),
        Some("scanned") => Some(InviteNotice::ScanAttached),
        Some(_) => return Err(ApiError::invalid("consent", "accepted: recorded, withdrawn, scanned").into()),
    };
    let notice = match q.photo.as_deref() {
        None => notice,
        Some("uploaded") => Some(InviteNotice::PhotoUploaded),
        Some(_) => return Err(ApiError::invalid("photo", "accepted: uploaded").into()),
    };
    let notice = match q.grade.as_deref() {
        None => notice,
        Some("saved") => Some(InviteNotice::GradeSaved),
        Some(_) => return Err(ApiError::invalid("grade", "accepted: saved").into()),
    };
    let notice = match q.redness.as_deref() {
        None => notice,
        Some("saved") => Some(InviteNotice::RegionsSaved),
        Some(_) => return Err(ApiError::invalid("redness", "accepted: saved").into()),
    };
    render_with(&app, &ctx, patient_id, StatusCode::OK, Refused::default(), notice).await
}

/// What the invite form did, said at the top of the patient's page.
#[derive(Debug, Clone, Copy)]
pub enum InviteNotice {
    /// Queued to the patient's address; this service sends e-mail.
    Sent,
    /// Queued, but this service has no e-mail set up: it waits in the outbox.
    Waiting,
    /// A consent signed on paper was recorded.
    ConsentRecorded,
    /// A withdrawal was recorded.
    ConsentWithdrawn,
    /// A photo was added.
    PhotoUploaded,
    /// The scan of a paper consent was attached.
    ScanAttached,
    /// A scar grade was saved.
    GradeSaved,
    /// Redness regions were saved.
    RegionsSaved,
}

/// The patient's page with `status`; a refused appointment or message form shows its error
/// and values in its section.
pub async fn render(app: &App, ctx: &Ctx, patient_id: PatientId, status: StatusCode, refused: Refused) -> PageResult {
    render_with(app, ctx, patient_id, status, refused, None).await
}

async fn render_with(
    app: &App,
    ctx: &Ctx,
    patient_id: PatientId,
    status: StatusCode,
    refused: Refused,
    notice: Option<InviteNotice>,
) -> PageResult {
    let a: &Authed = ctx.authed()?;
    let t = ctx.t;
    let (clinical, admin) = (a.is_clinical(), a.may_see_audit());
    let chart = chart(app, &a.actor, patient_id, ChartScope { clinical, audit: clinical && admin }).await?;
    let tz = chart.clinic.time_zone.tz();
    let (consent_error, consent_form) = paper_values(&refused);
    let rem = reminders::section(a, t, &chart, tz, refused);
    let p = chart.patient.clone();
    let mut page_data = PatientPage {
        f: ctx.frame(p.name.clone()),
        birth_date: p.birth_date.map(view::date).unwrap_or_default(),
        skin_type: p.fitzpatrick.map(|n| t.f("patients.skin_type_n", &[("n", &n.to_string())])).unwrap_or_default(),
        findings: p
            .findings
            .iter()
            .map(|f| match f.last {
                Some(d) => format!("{} ({})", t.label("finding", &f.code), view::date(d)),
                None => t.label("finding", &f.code).to_string(),
            })
            .collect(),
        clinical,
        admin,
        screenings: Vec::new(),
        plans: Vec::new(),
        sessions: Vec::new(),
        check_ins: Vec::new(),
        alerts: Vec::new(),
        gates: Vec::new(),
        consents: chart.consents.as_ref().map(|c| rows(t, c, c.zone)).unwrap_or_default(),
        consent_error,
        consent_form,
        audit: Vec::new(),
        photos: chart.photos.as_ref().map(|list| {
            list.iter()
                .map(|e| PhotoRow {
                    image_url: e.image_url.clone(),
                    thumbnail_url: e.thumbnail_url.clone(),
                    label: format!(
                        "{} · {} · {}",
                        t.label("photo_view", e.photo.view.as_str()),
                        t.label("photo_stage", e.photo.stage.as_str()),
                        local(e.photo.taken_at, tz)
                    ),
                })
                .collect()
        }),
        photo_views: crate::clinic::photos::STANDARD_VIEWS
            .iter()
            .map(|v| (v.as_str(), t.label("photo_view", v.as_str()).to_string()))
            .collect(),
        photo_sessions: chart.sessions.iter().map(|s| (s.id.to_string(), local(s.performed_at, tz))).collect(),
        photo_guides: chart.photos.as_deref().map(crate::pages::guided::baseline_guides).unwrap_or_default(),
        outcomes: chart.outcomes.as_ref().map(|o| {
            outcome_view(t, &chart.protocol, o, chart.now.with_timezone(&chart.patient.time_zone.tz()).date_naive())
        }),
        compare: chart.photos.as_deref().map(|list| compare_rows(t, list, tz)).unwrap_or_default(),
        redness: chart.photos.as_deref().map(|list| redness_view(t, list, &chart.redness_regions, &chart.sessions, tz)),
        mine: false,
        rem,
        notice: match notice {
            None => String::new(),
            Some(n) => {
                let to = [("email", p.email.as_deref().unwrap_or_default())];
                let sent = t.f("reach.staff.invite_sent", &to);
                match n {
                    InviteNotice::Sent => sent,
                    InviteNotice::Waiting => format!("{sent} {}", t.s("reach.staff.invite_waiting")),
                    InviteNotice::ConsentRecorded => t.s("consent_staff.recorded").to_string(),
                    InviteNotice::ConsentWithdrawn => t.s("consent_staff.withdrawn").to_string(),
                    InviteNotice::PhotoUploaded => t.s("photos_staff.uploaded").to_string(),
                    InviteNotice::ScanAttached => t.s("consent_staff.scan_attached").to_string(),
                    InviteNotice::GradeSaved => t.s("outcomes.graded").to_string(),
                    InviteNotice::RegionsSaved => t.s("redness.saved").to_string(),
                }
            }
        },
        p,
    };
    if clinical {
        let protocol = &*chart.protocol;
        let names: HashMap<StaffId, String> = chart.staff.iter().map(|s| (s.id, s.name.clone())).collect();
        let screenings = &chart.screenings;
        page_data.screenings =
            screenings.iter().map(|s| screening_view(t, protocol, s, tz, &names)).collect::<Result<_, _>>()?;
        let practitioner = a.may_review_screening();
        if let (Some(latest), Some(view)) = (screenings.first(), page_data.screenings.first_mut()) {
            view.review_form = practitioner && view.review_required && latest.review_decision.is_none();
        }
        page_data.gates = chart.blockers.iter().map(|b| blocker_view(t, b, tz)).collect();
        // The latest plan's dates from the one truth (as Today and My plan say them): sessions
        // done on their days, the next window and its booking. Older plans show what they planned.
        let had = &chart.sessions;
        let appointments = &chart.appointments;
        let ptz = page_data.p.time_zone.tz();
        page_data.plans = chart
            .plans
            .iter()
            .enumerate()
            .map(|(i, pl)| -> Result<PlanView, StoreError> {
                let r = pl.read()?;
                let series = if i == 0 { series_of(pl, had, appointments, ptz, chart.now) } else { None };
                Ok(PlanView {
                    created: local(pl.created_at, tz),
                    by: name_of(&names, pl.created_by),
                    concern: t.label("concern", pl.concern()?.as_str()).to_string(),
                    sessions: match &series {
                        Some(sr) => series_lines(t, sr, appointments, ptz),
                        None => r
                            .sessions
                            .iter()
                            .map(|s| {
                                t.f(
                                    "record.plan_session",
                                    &[
                                        ("n", &s.number.to_string()),
                                        ("earliest", &view::date(s.earliest)),
                                        ("latest", &view::date(s.latest)),
                                    ],
                                )
                            })
                            .collect(),
                    },
                    interval: t.f(
                        "record.plan_interval",
                        &[("min", &r.interval_days.min.to_string()), ("max", &r.interval_days.max.to_string())],
                    ),
                    cost: r.estimated_cost.as_ref().map(|c| {
                        let cur = c.currency.as_deref();
                        t.f(
                            "record.cost_value",
                            &[
                                ("total", &money(c.total, cur)),
                                ("min", &money(c.range.min, cur)),
                                ("max", &money(c.range.max, cur)),
                            ],
                        )
                    }),
                    notes: statements(t, protocol, &r.notes),
                })
            })
            .collect::<Result<_, _>>()?;
        page_data.sessions = chart
            .sessions
            .iter()
            .cloned()
            .map(|s| SessionView {
                when: local(s.performed_at, tz),
                device: s.device,
                depth: format!("{:.2} mm", s.needle_depth_mm),
                areas: s.areas.join(", "),
                depths: session_fields::depth_words(protocol, &s.depths),
                products: s.products.join(", "),
                numbing: session_fields::numbing_words(t, protocol, s.numbing.as_ref(), s.numbing_note.as_deref()),
                warnings: s.warnings.iter().map(|w| session_fields::warning_words(t, protocol, w)).collect(),
                practitioner: name_of(&names, Some(s.practitioner)),
                notes: s.notes,
                override_reason: s.override_reason,
                overridden: override_words(t, &s.override_blockers),
            })
            .collect();
        page_data.check_ins = chart
            .check_ins
            .iter()
            .cloned()
            .map(|c| CheckInView {
                due: match (c.day, c.due_at) {
                    (Some(d), Some(at)) => {
                        t.f("record.check_in_day", &[("day", &d.to_string()), ("when", &local(at, tz))])
                    }
                    _ => t.s("record.check_in_unprompted").to_string(),
                },
                submitted: c.submitted_at.map(|at| local(at, tz)),
                badge: c.disposition.map(|d| view::disposition(t, d)),
                symptoms: match c.reported() {
                    Ok(r) => r.map(|r| symptoms_summary(t, &r)).unwrap_or_default(),
                    Err(e) => {
                        tracing::error!(check_in = %c.id, error = %e, "a stored check-in does not read");
                        t.s("queue.unreadable").to_string()
                    }
                },
                temperature: c.temperature_c.map(|x| format!("{x:.1} °C")),
                note: c.note.unwrap_or_default(),
            })
            .collect();
        page_data.alerts = chart
            .alerts
            .iter()
            .cloned()
            .map(|al| AlertView {
                badge: view::disposition(t, al.disposition),
                opened: local(al.opened_at, tz),
                state: match (al.resolved_at, al.acknowledged_at) {
                    (Some(at), _) => t.f("record.alert_resolved", &[("when", &local(at, tz))]),
                    (None, Some(at)) => t.f("record.alert_acknowledged", &[("when", &local(at, tz))]),
                    (None, None) => t.s("record.alert_open").to_string(),
                },
                note: al.resolution_note.unwrap_or_default(),
            })
            .collect();
        if admin {
            page_data.audit = chart.audit.iter().map(|e| audit_row(t, e, &names, tz)).collect();
        }
    }
    page_with(status, &page_data)
}

fn audit_row(t: &Locale, e: &AuditEntry, names: &HashMap<StaffId, String>, tz: chrono_tz::Tz) -> AuditRow {
    let who = match (e.actor_kind, e.actor_id) {
        (ActorKind::Staff, Some(id)) => {
            names.get(&StaffId(id)).cloned().unwrap_or_else(|| t.s("record.who_staff").to_string())
        }
        (ActorKind::Staff, None) => t.s("record.who_staff").to_string(),
        (ActorKind::Patient, _) => t.s("record.who_patient").to_string(),
        (ActorKind::ApiToken, _) => t.s("record.who_token").to_string(),
        (ActorKind::System, _) => t.s("record.who_system").to_string(),
    };
    // A login opened with an invite names who sent the invite (issue 14, defect 5): the audit's
    // target is the sender (a member of staff, or an API token).
    let action = match (e.action.as_str(), e.target) {
        ("patient.invite_redeemed", Some(by)) => {
            let sender =
                names.get(&StaffId(by)).cloned().unwrap_or_else(|| t.s("record.invite_sender_other").to_string());
            t.f("record.invite_redeemed_from", &[("action", &e.action), ("sender", &sender)])
        }
        _ => e.action.clone(),
    };
    AuditRow { at: local(e.at, tz), who, action, ip: e.ip.clone().unwrap_or_default() }
}
