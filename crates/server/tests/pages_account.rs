#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The frame every page shares, and signing in and out in the browser: the login form (a
//! cookie and a redirect; a wrong password shown on the form), logout, the invite page, CSRF on
//! signed-in forms, HTML error pages for page routes (JSON stays JSON under /api/), assets.

mod common;

use common::{PASSWORD, TestApp};

fn form(api: &common::Api, path: &str, body: &str) -> reqwest::RequestBuilder {
    api.builder(reqwest::Method::POST, path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string())
}

fn encode(s: &str) -> String {
    s.replace('%', "%25").replace(' ', "+").replace('@', "%40").replace('&', "%26")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_login_form_signs_staff_in_and_a_wrong_password_is_shown_on_the_form() {
    let t = TestApp::start().await;
    let page = t.anon().get("/login").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains(r#"<label for="email">"#) && page.text.contains(r#"<label for="password">"#));
    assert_eq!(page.header("cache-control"), Some("no-store"));

    let email = &t.admin.email;
    let wrong = common::read(form(&t.anon(), "/login", &format!("email={}&password=nope", encode(email)))).await;
    assert_eq!(wrong.status, 422, "{}", wrong.text);
    assert!(wrong.text.contains("The e-mail or password is wrong."));
    assert!(wrong.text.contains(&format!(r#"value="{email}""#)), "the e-mail is kept");
    assert!(wrong.header("set-cookie").is_none());

    let ok = common::read(form(
        &t.anon(),
        "/login",
        &format!("email={}&password={}&next=%2Fstaff%2Fpatients", encode(email), encode(PASSWORD)),
    ))
    .await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    assert_eq!(ok.header("location"), Some("/staff/patients"));
    let cookie = ok.header("set-cookie").unwrap();
    assert!(cookie.starts_with("np_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_never_redirects_off_the_site() {
    let t = TestApp::start().await;
    for next in ["https%3A%2F%2Fevil.example%2F", "%2F%2Fevil.example", "%2F%5Cevil.example"] {
        let r = common::read(form(
            &t.anon(),
            "/login",
            &format!("email={}&password={}&next={next}", encode(&t.admin.email), encode(PASSWORD)),
        ))
        .await;
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location"), Some("/staff"), "next={next}");
    }
}

/// Regression (issue 14, defect 6): `next=/%09/evil.example` passed the check (a path starting
/// with one `/`), and a browser, which drops the tab, followed `//evil.example` off the site.
#[tokio::test(flavor = "multi_thread")]
async fn open_redirect_after_login_with_a_tab_or_newline_in_next() {
    let t = TestApp::start().await;
    for next in ["%2F%09%2Fevil.example", "%2F%0A%2Fevil.example", "%2F%0D%2Fevil.example", "%2F%20%2Fevil.example"] {
        let r = common::read(form(
            &t.anon(),
            "/login",
            &format!("email={}&password={}&next={next}", encode(&t.admin.email), encode(PASSWORD)),
        ))
        .await;
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location"), Some("/staff"), "next={next}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_in_forms_need_the_sessions_csrf_token() {
    let t = TestApp::start().await;
    let mut forged = t.admin.api.clone();
    forged.csrf = None;
    let r = common::read(form(&forged, "/logout", "")).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(r.text.contains("This form has expired"));
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    // The session survived the forged logout.
    assert_eq!(t.admin.api.get("/api/v1/auth/session").await.status, 200);

    // With the token in the form field, as the page's own form sends it.
    let csrf = t.admin.api.csrf.clone().unwrap();
    let r = common::read(form(&forged, "/logout", &format!("_csrf={csrf}"))).await;
    assert_eq!(r.status, 303);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(t.admin.api.get("/api/v1/auth/session").await.status, 401, "the session is over");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_form_from_another_site_is_refused() {
    let t = TestApp::start().await;
    let r =
        common::read(form(&t.anon(), "/login", "email=a%40b.c&password=x").header("origin", "https://evil.example"))
            .await;
    assert_eq!(r.status, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn page_routes_answer_errors_in_html_and_the_api_in_json() {
    let t = TestApp::start().await;
    let missing = t.anon().get("/no/such/page").await;
    assert_eq!(missing.status, 404);
    assert!(missing.text.contains("<h1>Page not found</h1>"), "{}", missing.text);
    let api_missing = t.anon().get("/api/v1/no-such-route").await;
    assert_eq!((api_missing.status, api_missing.code()), (404, "not_found"));

    let anon_logout = common::read(form(&t.anon(), "/logout", "")).await;
    assert_eq!(anon_logout.status, 303, "logging out without a session only clears the cookie");

    let bad_type = common::read(
        t.anon().builder(reqwest::Method::POST, "/login").header("content-type", "application/json").body("{}"),
    )
    .await;
    assert_eq!(bad_type.status, 415);
    assert!(bad_type.text.contains("application/x-www-form-urlencoded"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_invite_page_only_uses_the_link_when_the_patient_presses_the_button() {
    let t = TestApp::start().await;
    let patient = t.create_patient(&t.admin.api, "Ida Invite").await;
    let token = t.invite(&t.admin.api, patient["id"].as_str().unwrap()).await;
    let page = t.anon().get(&format!("/invite?token={token}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Open my care plan"));
    assert_eq!(page.header("referrer-policy"), Some("same-origin"), "the token never leaves the site");
    let hostile = t.anon().get("/invite?token=%22%3E%3Cscript%3Ealert(1)%3C/script%3E").await;
    assert!(!hostile.text.contains("<script>alert"), "the token is never echoed raw");

    let used = common::read(form(&t.anon(), "/invite", &format!("token={token}"))).await;
    assert_eq!(used.status, 303);
    assert_eq!(used.header("location"), Some("/me"));
    assert!(used.header("set-cookie").unwrap().starts_with("np_session="));
    let again = common::read(form(&t.anon(), "/invite", &format!("token={token}"))).await;
    assert_eq!(again.status, 400);
    assert!(again.text.contains("This link cannot be used"));
}

#[tokio::test(flavor = "multi_thread")]
async fn assets_are_served_by_the_binary_with_a_long_cache_and_an_etag() {
    let t = TestApp::start().await;
    let home = t.anon().get("/").await;
    let v = home.text.split("/assets/app.css?v=").nth(1).unwrap().split('"').next().unwrap().to_string();
    let css = t.anon().get(&format!("/assets/app.css?v={v}")).await;
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    assert!(css.header("cache-control").unwrap().contains("immutable"));
    assert!(css.text.contains("@media print"), "the print stylesheet is part of it");
    let etag = css.header("etag").unwrap().to_string();
    let again =
        common::read(t.anon().builder(reqwest::Method::GET, "/assets/app.css").header("if-none-match", etag)).await;
    assert_eq!(again.status, 304);
    assert_eq!(t.anon().get("/assets/../Cargo.toml").await.status, 404);
    assert_eq!(t.anon().get("/assets/nothing.js").await.status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_has_one_main_landmark_a_skip_link_and_a_language() {
    let t = TestApp::start().await;
    for path in ["/", "/login", "/sources", "/no/such/page"] {
        let r = t.anon().get(path).await;
        assert!(r.text.starts_with("<!doctype html>"), "{path}");
        assert!(r.text.contains(r#"<html lang="en">"#), "{path}");
        assert_eq!(r.text.matches("<main").count(), 1, "{path}");
        assert_eq!(r.text.matches("<h1").count(), 1, "{path}");
        assert!(r.text.contains(r##"<a class="skip" href="#main">"##), "{path}");
        assert!(!r.text.contains("style=\""), "{path}: inline styles are refused by the CSP");
        assert!(!r.text.contains("<script>"), "{path}: inline scripts are refused by the CSP");
    }
}

/// Regression: with `Referrer-Policy: no-referrer` Chromium sends `Origin: null` on our own
/// form posts, which the same-origin check rightly refuses, so no form worked in a browser.
#[tokio::test(flavor = "multi_thread")]
async fn regression_no_referrer_policy_made_browsers_send_a_null_origin_on_our_forms() {
    let t = TestApp::start().await;
    for path in ["/", "/login", "/api/v1/openapi.json"] {
        let r = t.anon().get(path).await;
        assert_eq!(r.header("referrer-policy"), Some("same-origin"), "{path}");
    }
    let own =
        common::read(form(&t.anon(), "/login", "email=a%40b.c&password=x").header("origin", t.base.clone())).await;
    assert_eq!(own.status, 422, "a form from our own origin is read: {}", own.text);
    let null = common::read(form(&t.anon(), "/login", "email=a%40b.c&password=x").header("origin", "null")).await;
    assert_eq!(null.status, 403, "an opaque origin is still refused");
    assert!(null.text.contains("<h1>"), "a refused form gets a page, not JSON");
}
