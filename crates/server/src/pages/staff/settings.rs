//! The clinic's settings page (admins): the clinic's name, zone, currency, price, opening
//! hours, response times and check-in days; its staff accounts; and its own protocol, which
//! may tighten the service's protocol but never go below the safety floor. Each form calls the
//! use case the API calls (`clinic::settings::{change_clinic, create_staff, change_staff, check_protocol}`);
//! a refused form is shown again with what was typed and the error, and nothing is stored.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use needlepath_store::{Clinic, ClinicContact, ClinicSettings, OpeningHours, ResponsePolicy, Role, Staff, StaffId};
use serde::Deserialize;

use crate::App;
use crate::api::id;
use crate::auth::Authed;
use crate::clinic::settings::{
    ClinicUpdate, NewStaffRequest, StaffUpdateRequest, change_clinic, change_staff, check_protocol, create_staff,
    list_staff,
};
use crate::clinic::the_clinic;
use crate::i18n::Locale;
use crate::pages::form::{FormData, Posted};
use crate::pages::staff::{Choice, choices};
use crate::pages::{Ctx, Frame, PageResult, Shown, page_with, see_other};
use crate::problem::{ApiError, ApiResult};
use crate::warnings::delivery_warnings;

#[derive(Debug, Clone)]
struct DayBox {
    n: u8,
    label: String,
    checked: bool,
}

#[derive(Debug, Clone)]
struct StaffRow {
    id: String,
    name: String,
    email: String,
    roles: Vec<Choice>,
    active: bool,
    me: bool,
}

#[derive(Template)]
#[template(path = "staff/settings.html")]
struct SettingsPage {
    f: Frame,
    saved: bool,
    /// Which form the error belongs to: `clinic`, `staff`, `member` or `protocol`.
    error_in: &'static str,
    error: Option<Shown>,
    clinic: FormData,
    days: Vec<DayBox>,
    staff: Vec<StaffRow>,
    new_staff: FormData,
    new_roles: Vec<Choice>,
    protocol_text: String,
    protocol_in_use: String,
    problems: Vec<String>,
    /// What stops messages from reaching patients and staff, in words (see `warnings`).
    warnings: Vec<String>,
}

fn role_choices(t: &Locale, current: &str) -> Vec<Choice> {
    choices(None, Role::ALL.iter().map(|r| (r.as_str().to_string(), t.s(role_key(*r)).to_string())), current)
}

fn role_key(r: Role) -> &'static str {
    match r {
        Role::Admin => "settings.role_admin",
        Role::Practitioner => "settings.role_practitioner",
        Role::FrontDesk => "settings.role_front_desk",
    }
}

/// The clinic form's values from the stored clinic.
fn clinic_values(c: &Clinic) -> FormData {
    let s = &c.settings;
    let mut pairs = vec![
        ("name".to_string(), c.name.clone()),
        ("time_zone".into(), c.time_zone.to_string()),
        ("currency".into(), s.currency.clone()),
        ("price_per_session".into(), s.price_per_session.map(|p| p.to_string()).unwrap_or_default()),
        ("opens".into(), s.opening_hours.opens.clone()),
        ("closes".into(), s.opening_hours.closes.clone()),
        ("emergency_minutes".into(), s.response.emergency_minutes.to_string()),
        ("urgent_minutes".into(), s.response.urgent_minutes.to_string()),
        ("contact_business_days".into(), s.response.contact_business_days.to_string()),
        ("check_in_days".into(), s.check_in_days.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")),
        ("missed_check_in_grace_hours".into(), s.missed_check_in_grace_hours.to_string()),
        ("quiet_hours".into(), s.quiet_hours.clone()),
    ];
    if s.calendar_details {
        pairs.push(("calendar_details".into(), "yes".into()));
    }
    let c = &s.contact;
    for (name, v) in [
        ("contact_phone", &c.phone),
        ("contact_out_of_hours_phone", &c.out_of_hours_phone),
        ("contact_email", &c.email),
        ("contact_country", &c.country),
        ("contact_address", &c.address),
    ] {
        pairs.push((name.to_string(), v.clone().unwrap_or_default()));
    }
    pairs.extend(s.opening_hours.days.iter().map(|d| ("day".to_string(), d.to_string())));
    FormData::from_pairs(pairs)
}

/// What a render shows beyond the stored state: a form's values and its error.
#[derive(Default)]
struct Shows {
    saved: bool,
    error_in: &'static str,
    error: Option<Shown>,
    clinic: Option<FormData>,
    new_staff: Option<FormData>,
    protocol_text: Option<String>,
    problems: Vec<String>,
}

async fn render(app: &App, ctx: &Ctx, a: &Authed, status: StatusCode, shows: Shows) -> PageResult {
    let t = ctx.t;
    let clinic = the_clinic(app, &a.actor).await?;
    let values = shows.clinic.unwrap_or_else(|| clinic_values(&clinic));
    let days = (1..=7u8)
        .map(|n| DayBox {
            n,
            label: t.s(DAY_KEYS[usize::from(n - 1)]).to_string(),
            checked: values.has("day", &n.to_string()),
        })
        .collect();
    let staff = list_staff(app, &a.actor)
        .await?
        .into_iter()
        .map(|s: Staff| StaffRow {
            id: s.id.to_string(),
            roles: role_choices(t, s.role.as_str()),
            me: a.staff() == Some(s.id),
            name: s.name,
            email: s.email,
            active: s.active,
        })
        .collect();
    let new_staff = shows.new_staff.unwrap_or_default();
    let new_roles = role_choices(t, Some(new_staff.get("role")).filter(|r| !r.is_empty()).unwrap_or("practitioner"));
    let in_use = app.protocol_for(a.clinic()).await?;
    page_with(
        status,
        &SettingsPage {
            f: ctx.frame(t.s("settings.title")),
            saved: shows.saved,
            error_in: shows.error_in,
            error: shows.error,
            days,
            staff,
            new_roles,
            new_staff,
            protocol_text: shows.protocol_text.unwrap_or_else(|| clinic.settings.protocol.clone().unwrap_or_default()),
            protocol_in_use: format!("{} {} ({})", in_use.title, in_use.version, in_use.id),
            problems: shows.problems,
            warnings: delivery_warnings(&app.config).iter().map(|w| t.s(w.key()).to_string()).collect(),
            clinic: values,
        },
    )
}

const DAY_KEYS: [&str; 7] = [
    "settings.monday",
    "settings.tuesday",
    "settings.wednesday",
    "settings.thursday",
    "settings.friday",
    "settings.saturday",
    "settings.sunday",
];

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn show(State(app): State<Arc<App>>, ctx: Ctx, Query(q): Query<SavedQuery>) -> PageResult {
    let a = ctx.authed()?.clone();
    render(&app, &ctx, &a, StatusCode::OK, Shows { saved: q.saved.is_some(), ..Shows::default() }).await
}

/// A refused form: the page again with its values and the error (or an error page).
async fn refused(app: &App, ctx: &Ctx, a: &Authed, e: ApiError, shows: Shows) -> PageResult {
    let (status, shown) = Shown::on_form(e)?;
    render(app, ctx, a, status, Shows { error: Some(shown), ..shows }).await
}

fn number<T: std::str::FromStr>(form: &FormData, name: &str, field: &str, accepted: &str) -> ApiResult<T> {
    let v = form.get(name);
    v.parse().map_err(|_| ApiError::invalid(field, format!("`{v}` is not {accepted}")))
}

/// The settings the clinic form describes (the protocol is kept as stored).
pub(crate) fn read_settings(form: &FormData) -> ApiResult<ClinicSettings> {
    let price = match form.opt("price_per_session") {
        None => None,
        Some(p) => Some(p.replace(',', ".").parse::<f64>().map_err(|_| {
            ApiError::invalid("settings.price_per_session", format!("`{p}` is not a price such as 150 or 149.50"))
        })?),
    };
    let mut days = Vec::new();
    for d in form.all("day") {
        days.push(
            d.parse::<u8>()
                .map_err(|_| ApiError::invalid("settings.opening_hours.days", format!("`{d}` is not a weekday")))?,
        );
    }
    let mut check_in_days = Vec::new();
    for (i, d) in form.get("check_in_days").split([',', ' ']).map(str::trim).filter(|d| !d.is_empty()).enumerate() {
        check_in_days.push(d.parse::<u32>().map_err(|_| {
            ApiError::invalid(format!("settings.check_in_days[{i}]"), format!("`{d}` is not a number of days"))
        })?);
    }
    Ok(ClinicSettings {
        currency: form.get("currency").to_string(),
        price_per_session: price,
        opening_hours: OpeningHours {
            days,
            opens: form.get("opens").to_string(),
            closes: form.get("closes").to_string(),
        },
        response: ResponsePolicy {
            // A form from before this field existed keeps the default.
            emergency_minutes: match form.opt("emergency_minutes") {
                None => ResponsePolicy::default().emergency_minutes,
                Some(_) => {
                    number(form, "emergency_minutes", "settings.response.emergency_minutes", "a number of minutes")?
                }
            },
            urgent_minutes: number(form, "urgent_minutes", "settings.response.urgent_minutes", "a number of minutes")?,
            contact_business_days: number(
                form,
                "contact_business_days",
                "settings.response.contact_business_days",
                "a number of business days",
            )?,
        },
        check_in_days,
        missed_check_in_grace_hours: number(
            form,
            "missed_check_in_grace_hours",
            "settings.missed_check_in_grace_hours",
            "a number of hours",
        )?,
        protocol: None,
        quiet_hours: form.get("quiet_hours").to_string(),
        calendar_details: form.has("calendar_details", "yes"),
        contact: ClinicContact {
            phone: form.opt("contact_phone").map(str::to_string),
            out_of_hours_phone: form.opt("contact_out_of_hours_phone").map(str::to_string),
            address: form.opt("contact_address").map(str::to_string),
            email: form.opt("contact_email").map(str::to_string),
            country: form.opt("contact_country").map(str::to_string),
        },
    })
}

pub async fn save_clinic(State(app): State<Arc<App>>, ctx: Ctx, Posted(form): Posted) -> PageResult {
    let a = ctx.authed()?.clone();
    let r = match read_settings(&form) {
        Ok(settings) => {
            let update = ClinicUpdate {
                name: Some(form.get("name").to_string()),
                time_zone: Some(form.get("time_zone").to_string()),
                settings: Some(settings),
            };
            change_clinic(&app, &a.actor, update).await.map(|_| ()).map_err(ApiError::from)
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(()) => Ok(see_other("/staff/settings?saved=1#clinic")),
        Err(e) => {
            refused(&app, &ctx, &a, e, Shows { error_in: "clinic", clinic: Some(form), ..Shows::default() }).await
        }
    }
}

pub async fn add_staff(State(app): State<Arc<App>>, ctx: Ctx, Posted(form): Posted) -> PageResult {
    let a = ctx.authed()?.clone();
    let r = match Role::parse(form.get("role")) {
        Some(role) => {
            let req = NewStaffRequest {
                email: form.get("email").to_string(),
                name: form.get("name").to_string(),
                role,
                password: form.get("password").to_string(),
            };
            create_staff(&app, &a.actor, req).await.map(|_| ()).map_err(ApiError::from)
        }
        None => Err(ApiError::invalid("role", "choose a role: admin, practitioner or front desk")),
    };
    match r {
        Ok(()) => Ok(see_other("/staff/settings?saved=1#staff")),
        Err(e) => {
            let keep = form.pairs().iter().filter(|(k, _)| k != "password" && k != "_csrf").cloned().collect();
            refused(
                &app,
                &ctx,
                &a,
                e,
                Shows { error_in: "staff", new_staff: Some(FormData::from_pairs(keep)), ..Shows::default() },
            )
            .await
        }
    }
}

pub async fn change_member(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Posted(form): Posted,
) -> PageResult {
    let a = ctx.authed()?.clone();
    let staff_id: StaffId = id(&raw, "staff member")?;
    let r = match Role::parse(form.get("role")) {
        Some(role) => {
            let req = StaffUpdateRequest {
                name: None,
                role: Some(role),
                active: Some(form.has("active", "")),
                password: None,
            };
            change_staff(&app, &a.actor, staff_id, req).await.map(|_| ()).map_err(ApiError::from)
        }
        None => Err(ApiError::invalid("role", "choose a role: admin, practitioner or front desk")),
    };
    match r {
        Ok(()) => Ok(see_other("/staff/settings?saved=1#staff")),
        Err(e) => refused(&app, &ctx, &a, e, Shows { error_in: "member", ..Shows::default() }).await,
    }
}

/// The clinic's own protocol: checked against the service's protocol and the safety floor;
/// refused with every problem located by line and column, and then nothing is stored.
pub async fn save_protocol(State(app): State<Arc<App>>, ctx: Ctx, Posted(form): Posted) -> PageResult {
    let a = ctx.authed()?.clone();
    // Untrimmed, so line and column numbers match what the admin typed.
    let raw = form.pairs().iter().find(|(k, _)| k == "protocol").map(|(_, v)| v.as_str()).unwrap_or_default();
    let text = raw.replace("\r\n", "\n");
    if !text.trim().is_empty()
        && let Err(refusal) = check_protocol(&app.protocol, &text)
    {
        let problems = refusal
            .problems
            .iter()
            .map(|p| {
                if p.line == 0 {
                    p.message.clone()
                } else {
                    ctx.t.f(
                        "settings.problem_at",
                        &[("line", &p.line.to_string()), ("column", &p.column.to_string()), ("message", &p.message)],
                    )
                }
            })
            .collect();
        let shows = Shows { error_in: "protocol", protocol_text: Some(text), problems, ..Shows::default() };
        let e = ApiError::invalid("protocol", ctx.t.s("settings.protocol_refused"));
        return refused(&app, &ctx, &a, e, shows).await;
    }
    let mut settings = the_clinic(&app, &a.actor).await?.settings;
    // An empty text removes the clinic's protocol (change_clinic reads "" as "remove").
    settings.protocol = Some(text.clone());
    let update = ClinicUpdate { name: None, time_zone: None, settings: Some(settings) };
    match change_clinic(&app, &a.actor, update).await.map_err(ApiError::from) {
        Ok(_) => Ok(see_other("/staff/settings?saved=1#protocol")),
        Err(e) => {
            refused(&app, &ctx, &a, e, Shows { error_in: "protocol", protocol_text: Some(text), ..Shows::default() })
                .await
        }
    }
}
