//! Pages for everyone, signed in or not: the home page, the list of sources, "Am I a
//! candidate?", the aftercare guide and the cost estimate.
//!
//! The questionnaires call the engine exactly as the JSON API's decisions do (the same request
//! parser, the same decision function), so a form and the API cannot answer differently.

pub mod aftercare;
pub mod candidate;
pub mod cost;
pub mod unsubscribe;

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use needlepath_core::protocol::Protocol;

use crate::App;
use crate::pages::view::{self, SourceRef};
use crate::pages::{Ctx, Frame, PageResult, Shown, page};
use crate::problem::ApiError;

/// A statement from the protocol as a page says it: its words and its numbered sources.
#[derive(Debug, Clone)]
pub struct Said {
    pub message: String,
    /// Short points under the message (e.g. the signs of an emergency); often empty.
    pub points: Vec<String>,
    pub sources: Vec<SourceRef>,
}

impl Said {
    pub fn new(p: &Protocol, message: &str, sources: &[String]) -> Self {
        Self { message: message.to_string(), points: Vec::new(), sources: view::sources(p, sources) }
    }
}

/// One option of a group of radios or checkboxes.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// An input error shown on a form, with the field named in plain words (`label` of the field)
/// as well as by its path.
pub fn shown(e: &ApiError, field: String, label: &str, t: &crate::i18n::Locale) -> Option<Shown> {
    Shown::from_api(e).map(|s| Shown {
        message: if label.is_empty() {
            s.message
        } else {
            t.f("common.field_error", &[("field", label), ("detail", &s.message)])
        },
        field,
    })
}

#[derive(Template)]
#[template(path = "public/home.html")]
struct HomePage {
    f: Frame,
}

pub async fn home(ctx: Ctx) -> PageResult {
    page(&HomePage { f: ctx.frame(ctx.t.s("home.title")) })
}

#[derive(Template)]
#[template(path = "public/sources.html")]
struct SourcesPage {
    f: Frame,
    protocol: String,
    sources: Vec<SourceRef>,
}

/// Every source the protocol cites, numbered as statements cite them (`[n]`): the clinic's own
/// protocol for its staff and patients, the service's for everyone else.
pub async fn sources(State(app): State<Arc<App>>, ctx: Ctx) -> PageResult {
    let p = match &ctx.authed {
        Some(a) => app.protocol_for(a.clinic()).await?,
        None => app.protocol.clone(),
    };
    let sources = p
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| SourceRef { n: i + 1, id: s.id.clone(), citation: s.citation.clone() })
        .collect();
    page(&SourcesPage {
        f: ctx.frame(ctx.t.s("sources.title")),
        protocol: format!("{} {}", p.title, p.version),
        sources,
    })
}
