//! The outcome questionnaire (issue 15, part 5): three questions the patient answers without
//! JavaScript once their clinic asks (two weeks after every second session, 3 and 6 months
//! after the last); reminders link here. A refused answer comes back with its error and what
//! was chosen.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use needlepath_core::outcomes::PatientAnswer;
use serde::Deserialize;

use crate::App;
use crate::clinic::outcomes::{self, refused};
use crate::pages::form::Posted;
use crate::pages::outcome_view::improvement_choices;
use crate::pages::patient::me;
use crate::pages::view::{SourceRef, sources};
use crate::pages::{Ctx, Frame, PageResult, Shown, page_with, see_other};
use crate::problem::ApiError;

#[derive(Template)]
#[template(path = "patient/outcome.html")]
struct OutcomePage {
    f: Frame,
    notice: String,
    /// The questionnaire open now: (code, label).
    open: Option<(String, String)>,
    improvement_choices: Vec<(String, String)>,
    error: Option<Shown>,
    improvement: String,
    satisfaction: String,
    recommend: String,
    sources: Vec<SourceRef>,
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// What the patient chose, kept when an answer is refused.
#[derive(Default)]
struct Chosen {
    improvement: String,
    satisfaction: String,
    recommend: String,
}

async fn render(
    app: &App,
    ctx: &Ctx,
    notice: &str,
    refused: Option<(StatusCode, Shown)>,
    chosen: Chosen,
) -> PageResult {
    let (a, id) = me(ctx)?;
    let t = ctx.t;
    let protocol = app.protocol_for(a.actor.clinic).await?;
    // Without a plan nothing is open: the page says there are no questions now.
    let open = outcomes::view(app, &a.actor, id)
        .await
        .map_err(ApiError::from)?
        .questionnaire_open
        .map(|m| (m.code(), m.label()));
    let (status, error) = match refused {
        Some((status, shown)) => (status, Some(shown)),
        None => (StatusCode::OK, None),
    };
    page_with(
        status,
        &OutcomePage {
            f: ctx.frame(t.s("outcome_form.title")),
            notice: notice.to_string(),
            open,
            improvement_choices: improvement_choices(t),
            error,
            improvement: chosen.improvement,
            satisfaction: chosen.satisfaction,
            recommend: chosen.recommend,
            sources: sources(&protocol, &needlepath_core::outcomes::SOURCES.map(String::from)),
        },
    )
}

pub async fn page_get(State(app): State<Arc<App>>, ctx: Ctx, Query(q): Query<Done>) -> PageResult {
    let notice = match q.done.as_deref() {
        Some("sent") => ctx.t.s("outcome_form.thanks"),
        _ => "",
    };
    render(&app, &ctx, notice, None, Chosen::default()).await
}

pub async fn page_post(State(app): State<Arc<App>>, ctx: Ctx, Posted(form): Posted) -> PageResult {
    let (a, id) = me(&ctx)?;
    let chosen = Chosen {
        improvement: form.get("improvement").to_string(),
        satisfaction: form.get("satisfaction").to_string(),
        recommend: form.get("recommend").to_string(),
    };
    let attempt = async {
        let answer =
            PatientAnswer::parse(form.get("milestone"), &chosen.improvement, &chosen.satisfaction, &chosen.recommend)
                .map_err(refused)?;
        outcomes::answer(&app, &a.actor, id, answer).await
    };
    match attempt.await.map_err(ApiError::from) {
        Ok(_) => Ok(see_other("/me/outcome?done=sent")),
        Err(e) => {
            let shown = Shown::on_form(e)?;
            render(&app, &ctx, "", Some(shown), chosen).await
        }
    }
}
