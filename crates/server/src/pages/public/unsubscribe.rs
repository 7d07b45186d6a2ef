//! The unsubscribe link of a reminder e-mail: `GET` asks (link scanners and previews follow
//! links, and must not turn reminders off), `POST` does it — the button, or a mail provider's
//! one-click request (RFC 8058). It stops e-mail only; the patient can turn it back on, and
//! choose every channel, on their reminders page. The link's capability is the message id with
//! its MAC (`clinic::unsubscribe`), which only the e-mail holds.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};

use crate::App;
use crate::pages::{Ctx, Frame, PageResult, page};

#[derive(Template)]
#[template(path = "public/unsubscribe.html")]
struct UnsubscribePage {
    f: Frame,
    action: String,
    done: bool,
}

pub async fn page_get(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    page(&UnsubscribePage {
        f: ctx.frame(ctx.t.s("unsubscribe.title")),
        action: format!("/unsubscribe/{id}"),
        done: false,
    })
}

pub async fn page_post(State(app): State<Arc<App>>, ctx: Ctx, Path(token): Path<String>) -> PageResult {
    // A link that names no message (a bare id, a wrong MAC) answers like a good one: the link
    // reveals nothing, and changes nothing unless it is the e-mail's own (issue 14, defect 11).
    crate::clinic::unsubscribe::unsubscribe(&app, &token).await?;
    page(&UnsubscribePage { f: ctx.frame(ctx.t.s("unsubscribe.title")), action: String::new(), done: true })
}
