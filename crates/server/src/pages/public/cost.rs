//! The cost estimate: a GET form (concern, scar grade, number of sessions, price per session)
//! answered by the engine's series plan (`plan::plan`, as `POST /api/v1/decisions/plan`
//! does): the usual number of sessions and the cost range, with sources. The price is
//! prefilled from the signed-in caller's clinic settings when there are any.

use std::sync::Arc;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use chrono::Utc;
use needlepath_core::plan::plan;
use needlepath_core::request::PlanRequest;
use needlepath_core::vocabulary::Concern;
use serde_json::{Value, json};

use crate::App;
use crate::api::input;
use crate::pages::form::FormData;
use crate::pages::public::{Choice, Said, shown};
use crate::pages::{Ctx, Frame, PageError, PageResult, Shown, page_with};
use crate::problem::ApiError;

/// The engine's estimate, in words.
#[derive(Debug, Clone)]
pub struct Estimate {
    pub sessions: String,
    pub count: Said,
    pub interval: String,
    pub cost: Option<String>,
    pub per_session: Option<String>,
    pub notes: Vec<Said>,
    pub plan: Said,
}

#[derive(Template)]
#[template(path = "public/cost.html")]
struct CostPage {
    f: Frame,
    concerns: Vec<Choice>,
    grades: Vec<Choice>,
    sessions: String,
    price: String,
    currency: String,
    error: Option<Shown>,
    estimate: Option<Estimate>,
}

/// An amount with its currency: "EUR 1,200" style, without pretending to know the locale.
pub fn money(amount: f64, currency: Option<&str>) -> String {
    let whole = amount.fract().abs() < 0.005;
    let n = if whole { format!("{amount:.0}") } else { format!("{amount:.2}") };
    match currency {
        Some(c) => format!("{c} {n}"),
        None => n,
    }
}

pub(crate) fn request(form: &FormData) -> Result<Value, ApiError> {
    let mut req = json!({ "concern": form.get("concern"), "start": Utc::now().date_naive().to_string() });
    if let Some(g) = form.parsed::<i64>("scar_grade", "a scar grade from 1 to 4")? {
        req["scar_grade"] = json!(g);
    }
    if let Some(n) = form.parsed::<i64>("sessions", "a whole number of sessions, such as 3")? {
        req["sessions"] = json!(n);
    }
    let price = form.get("price_per_session").replace(',', ".");
    if !price.is_empty() {
        // `nan` and `inf` parse as an f64 but are no price (and would become JSON null: no price).
        let p: f64 = price.parse().ok().filter(|p: &f64| p.is_finite()).ok_or_else(|| {
            ApiError::invalid("price_per_session", format!("`{price}` is not a price; write a number such as 250"))
        })?;
        req["price_per_session"] = json!(p);
    }
    if let Some(c) = form.opt("currency") {
        req["currency"] = json!(c.to_uppercase());
    }
    Ok(req)
}

fn field_label(field: &str) -> &'static str {
    match field {
        "concern" => "cost.concern",
        "scar_grade" => "cost.grade",
        "sessions" => "cost.sessions",
        "price_per_session" => "cost.price",
        "currency" => "cost.currency",
        _ => "",
    }
}

pub async fn page_get(State(app): State<Arc<App>>, ctx: Ctx, RawQuery(q): RawQuery) -> PageResult {
    let t = ctx.t;
    let form = FormData::parse(q.unwrap_or_default().as_bytes())?;
    let asked = form.opt("concern").is_some();
    let (mut price, mut currency) = (form.get("price_per_session").to_string(), form.get("currency").to_string());
    if !asked && let Some(a) = &ctx.authed {
        let prices = crate::clinic::cost::prices(&app, &a.actor).await?;
        price = prices.per_session.map(|p| money(p, None)).unwrap_or_default();
        currency = prices.currency;
    }
    let mut error = None;
    let mut estimate = None;
    if asked {
        match request(&form).and_then(|r| PlanRequest::from_json(&r).map_err(input)) {
            Ok(req) => {
                let p = &app.protocol;
                let r = plan(p, &req);
                let c = &r.session_count;
                estimate = Some(Estimate {
                    sessions: if c.min == c.max {
                        t.f("cost.sessions_exact", &[("n", &c.min.to_string())])
                    } else {
                        t.f("cost.sessions_range", &[("min", &c.min.to_string()), ("max", &c.max.to_string())])
                    },
                    count: Said::new(p, c.message, c.sources),
                    interval: t.f(
                        "cost.interval",
                        &[
                            ("min", &(r.interval_days.min / 7).to_string()),
                            ("max", &(r.interval_days.max / 7).to_string()),
                        ],
                    ),
                    cost: r.estimated_cost.as_ref().map(|k| {
                        let cur = k.currency.as_deref();
                        if (k.range.min - k.range.max).abs() < 0.005 {
                            money(k.range.min, cur)
                        } else {
                            t.f("cost.range", &[("min", &money(k.range.min, cur)), ("max", &money(k.range.max, cur))])
                        }
                    }),
                    per_session: r.estimated_cost.as_ref().map(|k| money(k.per_session, k.currency.as_deref())),
                    notes: r.notes.iter().map(|n| Said::new(p, n.message, n.sources)).collect(),
                    plan: Said::new(p, "", r.sources),
                });
            }
            Err(e) => {
                let field = e.field.clone().unwrap_or_default();
                let label = match field_label(&field) {
                    "" => "",
                    k => t.s(k),
                };
                let Some(s) = shown(&e, field.clone(), label, t) else { return Err(PageError(e)) };
                error = Some(s);
            }
        }
    }
    let concerns = Concern::ALL
        .iter()
        .map(|c| Choice {
            value: c.as_str().to_string(),
            label: t.label("concern", c.as_str()).to_string(),
            checked: form.get("concern") == c.as_str(),
        })
        .collect();
    let grades = (1..=4)
        .map(|g: u8| Choice {
            value: g.to_string(),
            label: t.s(&format!("cost.grade_{g}")).to_string(),
            checked: form.get("scar_grade") == g.to_string(),
        })
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    page_with(
        status,
        &CostPage {
            f: ctx.frame(t.s("cost.title")),
            concerns,
            grades,
            sessions: form.get("sessions").to_string(),
            price,
            currency,
            error,
            estimate,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_said_with_its_currency() {
        assert_eq!(money(1200.0, Some("EUR")), "EUR 1200");
        assert_eq!(money(99.5, None), "99.50");
    }

    #[test]
    fn the_form_becomes_the_plan_request() {
        let f = FormData::parse(b"concern=acne_scars&scar_grade=3&price_per_session=250,50&currency=eur").unwrap();
        let r = request(&f).unwrap();
        assert_eq!(r["price_per_session"], 250.5);
        assert_eq!(r["currency"], "EUR");
        let bad = FormData::parse(b"concern=acne_scars&sessions=many").unwrap();
        assert_eq!(request(&bad).unwrap_err().field.as_deref(), Some("sessions"));
    }

    /// Regression (found by the `form_bodies` fuzz target): `nan` or `inf` typed as the price
    /// parsed as an `f64`, became JSON `null` in the plan request, and the estimate was shown
    /// without the price the visitor typed, silently. It is now refused, naming the field.
    #[test]
    fn a_price_that_is_not_a_finite_number_is_refused() {
        for typed in ["nan", "NaN", "inf", "-inf", "infinity"] {
            let f = FormData::parse(format!("concern=acne_scars&price_per_session={typed}").as_bytes()).unwrap();
            let e = request(&f).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("price_per_session"), "{typed}");
            assert!(e.detail.contains(typed), "{typed}: {}", e.detail);
        }
    }
}
