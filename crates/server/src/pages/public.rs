//! Pages for everyone, signed in or not: the home page, the list of sources, "Am I a
//! candidate?", the aftercare guide and the cost estimate.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;

use crate::App;
use crate::pages::view::SourceRef;
use crate::pages::{Ctx, Frame, PageResult, page};

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

/// Every source the protocol cites, numbered as statements cite them (`[n]`).
pub async fn sources(State(app): State<Arc<App>>, ctx: Ctx) -> PageResult {
    let p = &app.protocol;
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
