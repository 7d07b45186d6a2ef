#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Snapshots of pages whose content does not depend on the clock or on ids: the frame, the
//! login form, the candidate questionnaire and the error page. A change to their HTML shows up
//! in review as a diff (`cargo insta review`). The asset version (a hash of the CSS and script)
//! is redacted so a stylesheet change does not touch every snapshot.

mod common;

use common::TestApp;

fn redact(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find("?v=") {
        out.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        let end = rest.find('"').unwrap_or(rest.len());
        out.push_str("[assets]");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
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
