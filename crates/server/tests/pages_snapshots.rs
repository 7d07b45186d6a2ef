#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Snapshots of pages whose content does not depend on the clock or on ids: the frame, the
//! login form, the candidate questionnaire and the error page; and, with the session's CSRF
//! token, the server's address and the calendar token redacted, a patient's Reminders page and
//! the page that shows a new calendar link once. A change to their HTML shows up in review as a
//! diff (`cargo insta review`). The asset version (a hash of the CSS and script) is redacted so
//! a stylesheet change does not touch every snapshot.

mod common;

use common::TestApp;

/// `html` with what follows each `marker`, up to `until`, replaced by `[what]`.
fn redact_after(html: &str, marker: &str, until: char, what: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(marker) {
        out.push_str(&rest[..i + marker.len()]);
        rest = &rest[i + marker.len()..];
        let end = rest.find(until).unwrap_or(rest.len());
        out.push_str(&format!("[{what}]"));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn redact(html: &str) -> String {
    redact_after(html, "?v=", '"', "assets")
}

/// A signed-in page: also the CSRF token, the server's address and calendar tokens.
fn redact_signed_in(html: &str, base: &str) -> String {
    let html = redact(html).replace(base, "http://[server]").replace(base.split_once("://").unwrap().1, "[server]");
    let html = redact_after(&html, r#"name="_csrf" value=""#, '"', "csrf");
    redact_after(&html, "/calendar/", '.', "token")
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshots_of_pages_that_do_not_depend_on_the_clock() {
    let t = TestApp::start().await;
    for (name, path, status) in
        [("login", "/login", 200), ("candidate", "/candidate", 200), ("not_found", "/no/such/page", 404)]
    {
        let r = t.anon().get(path).await;
        assert_eq!(r.status, status, "{path}");
        insta::assert_snapshot!(name, redact(&r.text));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshots_of_the_reminders_page_and_the_calendar_link_shown_once() {
    let t = TestApp::start().await;
    let p = t.create_patient(&t.admin.api, "Rhea Reminded").await;
    let pat = t.patient_login(&t.admin.api, &p).await;
    let r = pat.api.get("/me/reminders").await;
    assert_eq!(r.status, 200, "{}", r.text);
    insta::assert_snapshot!("patient_reminders", redact_signed_in(&r.text, &t.base));
    let rb = pat
        .api
        .builder(reqwest::Method::POST, "/me/reminders/calendar")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("");
    let r = common::read(rb).await;
    assert_eq!(r.status, 200, "{}", r.text);
    insta::assert_snapshot!("calendar_link", redact_signed_in(&r.text, &t.base));
}
